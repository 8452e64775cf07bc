// The report editor (templates/reports/report_edit.html):
// - saves itself as the QA lead types and keeps their text in this browser until the portal has it
//   (static/js/autosave.js, loaded before this script);
// - shows only the highlights the filter asks for (service area, practice theme, kind, picked or not).
//   The filter only hides cards: every highlight stays in the form, so nothing typed is lost, and its
//   controls have no name, so they are never saved or kept.
(() => {
  const form = document.getElementById("report-form");
  if (!form) return;
  Autosave.start(form, {
    key: `report-draft-${form.dataset.reportId}`,
    revision: document.getElementById("report-revision"),
    status: document.getElementById("save-status"),
    restoredMessage: form.dataset.restoredMessage,
  });

  const filter = document.getElementById("highlight-filter");
  if (!filter) return;
  const cards = [...form.querySelectorAll("[data-highlight]")];
  const groups = [...form.querySelectorAll("[data-highlight-area]")];
  const count = document.getElementById("filter-count");
  const wanted = (name) => filter.querySelector(`[data-filter="${name}"]`).value;
  const picked = (card) => card.querySelector("input[type=checkbox]").checked;

  const shows = (card) => {
    const theme = wanted("themes");
    const pick = wanted("picked");
    return (
      (!wanted("area") || card.dataset.area === wanted("area")) &&
      (!wanted("kind") || card.dataset.kind === wanted("kind")) &&
      (!theme || card.dataset.themes.split(" ").includes(theme)) &&
      (!pick || picked(card) === (pick === "yes"))
    );
  };

  const apply = () => {
    let shown = 0;
    for (const card of cards) {
      card.hidden = !shows(card);
      if (!card.hidden) shown += 1;
    }
    for (const group of groups) group.hidden = !group.querySelector("[data-highlight]:not([hidden])");
    count.textContent = `Showing ${shown} of ${cards.length} highlights.`;
  };

  // The filter's changes are not the draft's: they must not start an autosave or a browser copy.
  for (const type of ["input", "change"]) {
    filter.addEventListener(type, (event) => {
      event.stopPropagation();
      apply();
    });
  }
  filter.hidden = false;
  apply();
})();
