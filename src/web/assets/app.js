// The console's only script: drag and drop onto the upload, and live progress from the
// server's events. Served as a file (the Content-Security-Policy allows no inline script).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const drop = document.getElementById("drop");
  const input = document.querySelector('input[data-testid="upload"]');
  if (drop && input) {
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      if (e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        document.getElementById("upload-form").submit();
      }
    });
  }

  const progress = document.querySelector('[data-testid="progress"]');
  if (progress) {
    const source = new EventSource("/runs/" + progress.dataset.run + "/events");
    const bar = progress.querySelector("progress");
    const set = (name, value) => {
      const el = progress.querySelector('[data-field="' + name + '"]');
      if (el) el.textContent = value;
    };
    source.addEventListener("progress", (e) => {
      const s = JSON.parse(e.data);
      set("phase", s.phase);
      set("done", s.done);
      set("total", s.total);
      set("rate", Math.round(s.rate));
      set("eta", s.eta === null ? "-" : s.eta);
      set("ok", s.ok);
      set("failed", s.failed);
      bar.max = Math.max(s.total, 1);
      bar.value = s.done;
    });
    source.addEventListener("done", () => {
      source.close();
      window.location.reload();
    });
  }
});
