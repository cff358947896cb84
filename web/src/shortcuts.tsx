// The keyboard shortcuts, and the dialog that lists them (press ?).

import { useLayoutEffect, useRef } from "preact/hooks";

export const SHORTCUTS: [string, string][] = [
  ["n", "New note"],
  ["j / k", "Next / previous note in the list"],
  ["o", "Open the chosen note"],
  ["Ctrl+S or Ctrl+Enter", "Save the note being edited"],
  ["Escape", "Close the note (or this list)"],
  ["?", "Show this list"],
];

/** Whether a key press is typing in a field (shortcuts then leave it alone). */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function Shortcuts({ onClose }: { onClose(): void }) {
  const close = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => before?.focus();
  }, []);
  return (
    <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="shortcuts-heading">
        <h2 id="shortcuts-heading">Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <th scope="row"><kbd>{keys}</kbd></th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" class="button" ref={close} onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
