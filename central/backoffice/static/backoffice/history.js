// The device page's 30-day chart: hourly largest backlog and least free disk, from the
// JSON the page embeds (no inline script, so a strict Content-Security-Policy can apply).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("history-data").textContent);
  var canvas = document.getElementById("history-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        {label: data.backlog_label, data: data.backlog, yAxisID: "backlog",
         borderColor: "#8a2d00", backgroundColor: "#8a2d00", pointRadius: 0, stepped: true},
        {label: data.disk_label, data: data.disk_mib, yAxisID: "disk",
         borderColor: "#1d4f91", backgroundColor: "#1d4f91", pointRadius: 0,
         borderDash: [6, 3]}
      ]
    },
    options: {
      locale: document.documentElement.lang, animation: false, maintainAspectRatio: false, interaction: {mode: "index", intersect: false},
      scales: {
        x: {ticks: {maxTicksLimit: 8, autoSkip: true}},
        backlog: {position: "left", beginAtZero: true, title: {display: true, text: data.backlog_label}},
        disk: {position: "right", beginAtZero: true, grid: {drawOnChartArea: false},
               title: {display: true, text: data.disk_label}}
      }
    }
  });
})();
