/* Draws the adoption-over-time chart from the JSON in the canvas's data-chart attribute. */
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("trend-chart");
    if (!canvas || typeof Chart === "undefined") { return; }
    var data = JSON.parse(canvas.getAttribute("data-chart"));
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s) { return { label: s.label, data: s.data, spanGaps: true, tension: 0.2 }; })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 0, max: 100, title: { display: true, text: "Average score" } } },
        plugins: {
          tooltip: { callbacks: { footer: function (items) { return items.length ? "Rules: " + data.versions[items[0].dataIndex] : ""; } } }
        }
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
