// The audit form never loses more than a few seconds of work:
// - htmx saves the draft a moment after typing stops (hx-trigger on #audit-form);
// - every change is also kept in this browser (localStorage) until the portal answers that it saved
//   it (JSON naming the revision), so a lost connection, a crash or a session that has gone (signed
//   out in another tab) is restored on the next visit;
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

  const signedOut = form.dataset.signedOutMessage;
  const say = (message, problem) => {
    status.textContent = message;
    status.classList.toggle("text-danger", problem);
  };

  // What the autosave on its way sent: its answer drops the browser copy only if nothing was typed since.
  let sent = null;
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt === form) sent = JSON.stringify(entries());
  });

  // The portal's own answer is JSON. When the session has gone, the autosave is sent to the log-in
  // page (a 200, which htmx counts as success) or refused (401, 403): none of that is an answer.
  const answerOf = (xhr) => {
    if (!(xhr.getResponseHeader("Content-Type") || "").startsWith("application/json")) return null;
    try {
      return JSON.parse(xhr.responseText);
    } catch {
      return null;
    }
  };

  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt !== form) return;
    const waiting = submitAfterSave;
    submitAfterSave = null;
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status === 0) {
      say("Could not reach the portal: your answers are kept in this browser and will be saved when the connection is back.", true);
      return;
    }
    const answer = xhr.status === 200 ? answerOf(xhr) : null;
    if (answer && answer.saved === true && Number.isInteger(answer.revision)) {
      const saved = String(answer.revision);
      document.getElementById("audit-revision").value = saved;
      const kept = JSON.parse(localStorage.getItem(key) || "null");
      if (kept && JSON.stringify(kept.entries) === sent) localStorage.removeItem(key);
      else if (kept) localStorage.setItem(key, JSON.stringify({ revision: saved, entries: kept.entries }));
      say(answer.message, answer.invalid.length > 0);
      if (waiting) form.requestSubmit(waiting.submitter || undefined);
    } else if (answer && (answer.conflict || answer.closed)) {
      say(answer.message, true); // the browser copy stays: the person may still need it
    } else {
      say(signedOut, true);
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
