// Draws the CDO's review timeline charts with Chart.js. The CSP forbids inline scripts, so each
// <canvas data-chart-src="..." data-chart-key="..."> names the JSON endpoint and the part to draw.
(function () {
  "use strict";
  var COLOURS = ["#0b4f8a", "#c9a100", "#1a6b2f", "#a4000f", "#555555"];

  function draw(canvas, data) {
    var part = data[canvas.dataset.chartKey];
    if (!part || typeof Chart === "undefined") { return; }
    var type = canvas.dataset.chartType || "bar";
    var stacked = canvas.dataset.stacked === "1";
    var datasets = part.datasets.map(function (set, i) {
      return {
        label: set.label,
        data: set.data,
        backgroundColor: COLOURS[i % COLOURS.length],
        borderColor: COLOURS[i % COLOURS.length],
        fill: false,
        tension: 0
      };
    });
    new Chart(canvas, {
      type: type,
      data: { labels: part.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: true,
        aspectRatio: 2.5,
        animation: false,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "1");
  }

  function start() {
    var canvases = document.querySelectorAll("canvas[data-chart-src]");
    var cache = {};
    Array.prototype.forEach.call(canvases, function (canvas) {
      var src = canvas.dataset.chartSrc;
      if (!cache[src]) {
        cache[src] = fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.json(); });
      }
      cache[src].then(function (data) { draw(canvas, data); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
