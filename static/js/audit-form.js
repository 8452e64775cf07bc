// The audit form never loses more than a few seconds of work:
// - htmx saves the draft a moment after typing stops (hx-trigger on #audit-form);
// - every change is also kept in this browser (localStorage) until the server has it, so a lost
//   connection or a crash is restored on the next visit;
// - leaving the page (a link, a reload, closing the tab) sends one last save as a beacon.
(() => {
  const form = document.getElementById("audit-form");
  if (!form) return;
  const key = `audit-draft-${form.dataset.auditId}`;
  const revision = () => document.getElementById("audit-revision").value;
  const status = document.getElementById("save-status");

  const entries = () =>
    [...new FormData(form)].filter(([name]) => name !== "csrfmiddlewaretoken" && name !== "revision");
  const keepLocally = () =>
    localStorage.setItem(key, JSON.stringify({ revision: revision(), entries: entries() }));

  form.addEventListener("input", keepLocally);
  form.addEventListener("change", keepLocally);

  // Submitting while an autosave is on its way (the last field's change, sent as it lost focus)
  // would post the revision that autosave is about to replace, and be refused as a conflict:
  // wait for the autosave's answer, which brings the new revision, then submit.
  let submitAfterSave = null;
  form.addEventListener("submit", (event) => {
    if (!form.classList.contains("htmx-request")) return;
    event.preventDefault();
    submitAfterSave = { submitter: event.submitter };
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt !== form) return;
    const waiting = submitAfterSave;
    submitAfterSave = null;
    if (event.detail.successful) {
      localStorage.removeItem(key);
      if (waiting) form.requestSubmit(waiting.submitter || undefined);
    } else {
      status.textContent = "Could not reach the portal: your answers are kept in this browser and will be saved when the connection is back.";
    }
  });

  const restore = (saved) => {
    const values = new Map();
    for (const [name, value] of saved.entries) values.set(name, [...(values.get(name) || []), value]);
    for (const element of form.elements) {
      if (!element.name || element.name === "csrfmiddlewaretoken" || element.name === "revision") continue;
      const wanted = values.get(element.name) || [];
      if (element.type === "checkbox" || element.type === "radio") element.checked = wanted.includes(element.value);
      else if (wanted.length) element.value = wanted[0];
    }
  };

  const saved = JSON.parse(localStorage.getItem(key) || "null");
  if (saved && saved.revision === revision()) {
    // Typing that never reached the server (the connection dropped): put it back and save it now.
    restore(saved);
    status.textContent = "Unsaved answers from your last visit were restored from this browser.";
    // htmx starts listening to the form on DOMContentLoaded, which comes after this deferred script
    // has run: a save asked for before then would never be sent.
    document.addEventListener("DOMContentLoaded", () => htmx.trigger(form, "change"), { once: true });
  } else if (saved) {
    localStorage.removeItem(key); // the server has moved on: its version wins
  }

  window.addEventListener("pagehide", () => {
    if (localStorage.getItem(key)) navigator.sendBeacon(form.dataset.autosaveUrl, new FormData(form));
  });
})();
