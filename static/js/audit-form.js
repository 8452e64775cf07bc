// The audit form saves as the person types and keeps their answers in this browser until the portal
// has them (static/js/autosave.js, loaded before this script).
(() => {
  const form = document.getElementById("audit-form");
  if (!form) return;
  Autosave.start(form, {
    key: `audit-draft-${form.dataset.auditId}`,
    revision: document.getElementById("audit-revision"),
    status: document.getElementById("save-status"),
    restoredMessage: "Unsaved answers from your last visit were restored from this browser.",
  });
})();
