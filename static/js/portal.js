// Small behaviours with no inline script (the Content Security Policy forbids inline code).
document.addEventListener("DOMContentLoaded", () => {
  // Forms that ask "are you sure" carry data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

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
