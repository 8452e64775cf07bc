// Small behaviours with no inline script (the Content Security Policy forbids inline code).
document.addEventListener("DOMContentLoaded", () => {
  // Forms that ask "are you sure" carry data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // A table wider than the screen scrolls sideways in its own region, never the page: lists wrap theirs
  // in templates/tables/table.html; a table a page writes by hand gets the same region here (and in
  // content htmx brings in), or has its plain .table-responsive made one. Focusable, so a keyboard can
  // scroll it (axe-core: scrollable-region-focusable); named by the table's caption.
  const wrapTables = (root) => {
    root.querySelectorAll("main table").forEach((table) => {
      let region = table.closest(".table-responsive");
      if (!region) {
        region = document.createElement("div");
        region.className = "table-responsive";
        table.before(region);
        region.append(table);
      }
      if (region.hasAttribute("tabindex")) return;
      region.setAttribute("role", "region");
      region.tabIndex = 0;
      region.setAttribute("aria-label", table.caption?.textContent.trim() || "Table");
    });
  };
  wrapTables(document);
  document.addEventListener("htmx:load", (event) => wrapTables(event.target.parentElement ?? document));

  // A refused form's error summary (includes/error_summary.html): the title says so, focus moves to
  // the summary so a screen reader reads it first, and each of its links takes focus to its field.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    if (!document.title.startsWith("Error: ")) document.title = `Error: ${document.title}`;
    summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!field) return;
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    });
  }
});
