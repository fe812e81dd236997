// The "Print" button of the monthly summary (a script file: no inline handlers).
document.querySelectorAll(".print-button").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
