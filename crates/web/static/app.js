// gongjian: send the CSRF token with every htmx request, and draw charts declared in markup.
document.addEventListener("DOMContentLoaded", function () {
  var csrf = document.body.dataset.csrf;
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) e.detail.headers["X-CSRF-Token"] = csrf;
  });
  var back = document.getElementById("back");
  if (back) back.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
  // A select marked data-autosubmit submits its form when changed (no inline handlers
  // under the CSP).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  if (!window.echarts) return;
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var d = JSON.parse(el.dataset.chart);
    // A complete ECharts option built by the server (the cockpit): draw it as given.
    if (d.option) { drawOption(el, d); return; }
    var chart = echarts.init(el);
    var series = d.stacks
      ? d.stacks.map(function (s) { return { type: "bar", stack: "all", name: s.name, data: s.values, itemStyle: { color: s.color } }; })
      : [{ type: "bar", name: d.bar_name, data: d.values, itemStyle: { color: "#1d5fd0" }, label: { show: !d.line, position: "top" } }]
        .concat(d.line ? [{ type: "line", name: d.line_name, data: d.line, itemStyle: { color: "#d9480f" }, symbol: "circle" }] : []);
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 30, bottom: 60 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.names, axisLabel: { interval: 0, rotate: d.names.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", name: d.unit, minInterval: 1 },
      legend: d.line || d.stacks ? { top: 0 } : undefined,
      series: series
    });
    // Drill-down: a bar opens the list behind it.
    if (d.links) chart.on("click", function (p) { if (d.links[p.dataIndex]) window.location = d.links[p.dataIndex]; });
    el.dataset.drawn = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});

// Draws a server-built option; a map first loads and registers its GeoJSON. Clicks open
// the list behind a bar or stage (`links` by index) or an area (`name_links` by name).
function drawOption(el, d) {
  var go = function () {
    var chart = echarts.init(el, el.dataset.theme || null);
    var opt = d.option;
    if (el.dataset.theme === "dark") opt.backgroundColor = "transparent";
    opt.animation = false;
    chart.setOption(opt);
    chart.on("click", function (p) {
      var to = (d.links && d.links[p.dataIndex]) || (d.name_links && d.name_links[p.name]);
      if (to) window.location = to;
    });
    el.dataset.drawn = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  };
  if (!d.map) return go();
  fetch(d.map, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (g) { echarts.registerMap("divisions", g); go(); })
    .catch(function () { el.textContent = "地图加载失败 / the map could not be loaded"; el.dataset.drawn = "failed"; });
}
