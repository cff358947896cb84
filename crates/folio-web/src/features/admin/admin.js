// Folio admin: progressive enhancement only. Without this script every page works: each row of
// a list has its own checkbox and the server reads them. With it, the header checkbox of a
// list's selection column (rendered `hidden`, shown here) ticks or clears every row of the
// page, shift-click ticks a range, and the bulk-action bar says how many rows are selected.
// Loaded as a module: deferred, strict, nothing global, and skipped by browsers too old for it.

function enhanceSelection(all) {
  const form = all.closest("form");
  const rows = form ? Array.from(form.querySelectorAll('tbody input[type="checkbox"][name="ids"]')) : [];
  if (rows.length === 0) {
    return;
  }
  const counter = form.querySelector(".admin-selected");
  let last = null;

  function update() {
    const selected = rows.filter((box) => box.checked).length;
    all.checked = selected === rows.length;
    all.indeterminate = selected > 0 && selected < rows.length;
    if (counter) {
      counter.textContent = `${selected} of ${rows.length} selected`;
    }
  }

  all.addEventListener("change", () => {
    for (const box of rows) {
      box.checked = all.checked;
    }
    update();
  });
  for (const box of rows) {
    box.addEventListener("click", (event) => {
      // Shift-click: every row between the last clicked one and this one takes this state.
      if (event.shiftKey && last !== null && last !== box) {
        const [from, to] = [rows.indexOf(last), rows.indexOf(box)].sort((a, b) => a - b);
        for (const other of rows.slice(from, to + 1)) {
          other.checked = box.checked;
        }
      }
      last = box;
      update();
    });
  }
  // The browser may restore ticks on "back"; start from what is on the page.
  window.addEventListener("pageshow", update);
  all.hidden = false;
  if (counter) {
    counter.hidden = false;
  }
  update();
}

for (const all of document.querySelectorAll("input.select-all")) {
  enhanceSelection(all);
}
