// The case list upload with a progress bar. Without this script the form posts as usual; with it,
// the same form (its CSRF token and the pressed button included) goes by XMLHttpRequest so that
// upload.onprogress can drive the Bootstrap progress bar, and the page the server answers with is
// swapped in. A finished import answers with an HX-Redirect header (htmx's convention, which the
// session-timeout middleware uses too): the browser then goes there and shows the message.
(() => {
  const REGION = "case-upload";

  const showProgress = (form, percent, text) => {
    const progress = form.querySelector("[data-upload-progress]");
    const bar = progress.querySelector(".progress-bar");
    progress.hidden = false;
    progress.setAttribute("aria-valuenow", String(percent));
    bar.style.width = `${percent}%`; // CSSOM, not a style attribute: allowed by the CSP
    bar.classList.toggle("progress-bar-striped", percent >= 100);
    bar.classList.toggle("progress-bar-animated", percent >= 100);
    form.querySelector("[data-upload-status]").textContent = text;
  };

  const swapIn = (html) => {
    const incoming = new DOMParser().parseFromString(html, "text/html").getElementById(REGION);
    const current = document.getElementById(REGION);
    if (!incoming || !current) return false;
    current.replaceWith(document.importNode(incoming, true));
    const focusTarget =
      document.querySelector("[data-error-summary]") ||
      document.getElementById("upload-result") ||
      document.getElementById("id_file");
    if (focusTarget) focusTarget.focus();
    return true;
  };

  // Post the plain way (a page load): used when the script's request cannot finish the job.
  const submitNatively = (form, submitter) => {
    form.querySelectorAll("button").forEach((button) => { button.disabled = false; });
    form.dataset.native = "true";
    form.requestSubmit(submitter || undefined);
  };

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form[data-case-upload]") || form.dataset.native === "true") return;
    const fileInput = form.querySelector("input[type=file]");
    if (!fileInput || !fileInput.files.length) return; // let the server say a file is needed
    event.preventDefault();

    const submitter = event.submitter;
    const buttons = form.querySelectorAll("button");
    // Not form.action: a field named "action" would shadow it.
    const target = new URL(form.getAttribute("action") || window.location.href, window.location.href).href;
    const request = new XMLHttpRequest();
    request.open("POST", target);
    request.setRequestHeader("HX-Request", "true");
    request.upload.onprogress = (progress) => {
      if (!progress.lengthComputable) return;
      const percent = Math.round((progress.loaded / progress.total) * 100);
      showProgress(form, percent, percent < 100 ? `Uploading: ${percent}%` : "Uploaded: checking the file…");
    };
    request.upload.onload = () => showProgress(form, 100, "Uploaded: checking the file…");
    request.onload = () => {
      const redirectTo = request.getResponseHeader("HX-Redirect");
      if (redirectTo) {
        window.location.assign(redirectTo);
      } else if (!(request.status === 200 && request.responseURL === target && swapIn(request.responseText))) {
        // Signed out, refused or a server error: post again the plain way to show the real page for it.
        submitNatively(form, submitter);
      }
    };
    request.onerror = () => submitNatively(form, submitter);
    const data = new FormData(form, submitter);
    buttons.forEach((button) => { button.disabled = true; });
    showProgress(form, 0, "Uploading: 0%");
    request.send(data);
  });
})();
