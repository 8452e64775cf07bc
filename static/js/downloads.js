// Downloads that start on the page that asked for them (templates/includes/built_file_status.html).
// While a file is being made, htmx polls its status block; when the block of the file now ready is
// swapped in, it carries data-download-now and the download starts at once, as if the person had
// pressed its link (the file comes as an attachment, so the page stays). A page opened with the file
// already ready shows the link only: nothing downloads unasked.
(() => {
  const startDownload = (root) => {
    if (!(root instanceof Element)) return;
    const ready = root.matches("[data-download-now]") ? root : root.querySelector("[data-download-now]");
    if (!ready || ready.dataset.downloadStarted) return;
    ready.dataset.downloadStarted = "true";
    window.location.assign(ready.dataset.downloadNow);
  };
  document.addEventListener("htmx:load", (event) => startDownload(event.target));
})();
