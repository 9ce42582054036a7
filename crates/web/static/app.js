// gongjian: send the CSRF token with every htmx request, and draw charts declared in markup.
document.addEventListener("DOMContentLoaded", function () {
  var csrf = document.body.dataset.csrf;
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) e.detail.headers["X-CSRF-Token"] = csrf;
  });
  var back = document.getElementById("back");
  if (back) back.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
  if (!window.echarts) return;
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var d = JSON.parse(el.dataset.chart);
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 30, bottom: 60 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.names, axisLabel: { interval: 0, rotate: d.names.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", name: d.unit, minInterval: 1 },
      legend: d.line ? { top: 0 } : undefined,
      series: [{ type: "bar", name: d.bar_name, data: d.values, itemStyle: { color: "#1d5fd0" }, label: { show: !d.line, position: "top" } }]
        .concat(d.line ? [{ type: "line", name: d.line_name, data: d.line, itemStyle: { color: "#d9480f" }, symbol: "circle" }] : [])
    });
    el.dataset.drawn = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
