import { render } from "preact";

import { App } from "./app";
// Folio's own stylesheet, then what only the app adds.
import "../../crates/folio-web/src/layout/folio.css";
import "./styles.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
