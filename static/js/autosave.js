// A form that never loses more than a few seconds of work (the audit form, the report editor):
// - htmx saves it a moment after typing stops (hx-post and hx-trigger on the form itself);
// - every change is also kept in this browser (localStorage) until the portal answers that it saved
//   it (JSON naming the revision), so a lost connection, a crash or a session that has gone (signed
//   out in another tab) is restored on the next visit;
// - a save based on an older revision is refused by the portal with a message (a stale tab): the
//   browser copy stays, and nothing is overwritten;
// - leaving the page (a link, a reload, closing the tab) sends one last save as a beacon.
// Only what the person typed is kept in the browser, under a key naming the record's id: never in
// the address.
//
// Autosave.start(form, {key, revision, status, restoredMessage}):
//   key: the localStorage key; revision: the hidden input holding the revision the page was built
//   from; status: the status line (role="status"); restoredMessage: what it says after a restore.
//   The form carries data-autosave-url (the beacon's address) and data-signed-out-message.
window.Autosave = {
  start(form, { key, revision, status, restoredMessage }) {
    const skipped = (name) => name === "csrfmiddlewaretoken" || name === revision.name;
    const entries = () => [...new FormData(form)].filter(([name]) => !skipped(name));
    const keepLocally = () =>
      localStorage.setItem(key, JSON.stringify({ revision: revision.value, entries: entries() }));

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
        say("Could not reach the portal: your text is kept in this browser and will be saved when the connection is back.", true);
        return;
      }
      const answer = xhr.status === 200 ? answerOf(xhr) : null;
      if (answer && answer.saved === true && Number.isInteger(answer.revision)) {
        const saved = String(answer.revision);
        revision.value = saved;
        const kept = JSON.parse(localStorage.getItem(key) || "null");
        if (kept && JSON.stringify(kept.entries) === sent) localStorage.removeItem(key);
        else if (kept) localStorage.setItem(key, JSON.stringify({ revision: saved, entries: kept.entries }));
        say(answer.message, answer.invalid.length > 0);
        if (waiting) form.requestSubmit(waiting.submitter || undefined);
      } else if (answer && answer.message) {
        say(answer.message, true); // a conflict, a closed record: the browser copy stays, it may still be needed
        // The button pressed still submits: the page that answers says why it is refused, with the text kept.
        if (waiting) form.requestSubmit(waiting.submitter || undefined);
      } else {
        say(form.dataset.signedOutMessage, true);
      }
    });

    const restore = (saved) => {
      const values = new Map();
      for (const [name, value] of saved.entries) values.set(name, [...(values.get(name) || []), value]);
      for (const element of form.elements) {
        if (!element.name || skipped(element.name)) continue;
        const wanted = values.get(element.name) || [];
        if (element.type === "checkbox" || element.type === "radio") element.checked = wanted.includes(element.value);
        else if (wanted.length) element.value = wanted[0];
      }
    };

    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved && saved.revision === revision.value) {
      // Typing that never reached the server (the connection dropped): put it back and save it now.
      restore(saved);
      status.textContent = restoredMessage;
      // htmx starts listening to the form on DOMContentLoaded, which comes after this deferred script
      // has run: a save asked for before then would never be sent.
      document.addEventListener("DOMContentLoaded", () => htmx.trigger(form, "change"), { once: true });
    } else if (saved) {
      localStorage.removeItem(key); // the server has moved on: its version wins
    }

    window.addEventListener("pagehide", () => {
      if (localStorage.getItem(key)) navigator.sendBeacon(form.dataset.autosaveUrl, new FormData(form));
    });
  },
};
