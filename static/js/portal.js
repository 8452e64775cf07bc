// Small behaviours with no inline script (the Content Security Policy forbids inline code).
document.addEventListener("DOMContentLoaded", () => {
  // Forms that ask "are you sure" carry data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
