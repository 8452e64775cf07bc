// "Copy" next to the calendar address on the Subscribe in Outlook page (no inline script: CSP).
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("copy-status");
  document.querySelectorAll("button[data-copy-from]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyFrom);
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = "Address copied.";
      } catch (error) {
        if (status) status.textContent = "Copy did not work: the address is selected, press Ctrl+C.";
      }
    });
  });
});
