/* Dashboard charts (Apache ECharts, vendored). Data comes from the page (json_script). */
(function () {
  var el = document.getElementById("fig-data");
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.textContent);
  var red = "#c8161d", blue = "#1d5bbf", green = "#1a7f37", yellow = "#d89614", grey = "#8a919c";
  var charts = [];
  var narrow = window.innerWidth < 640;  // phones: legends instead of outside labels
  function make(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    var empty = option.series.every(function (s) {
      return !s.data || !s.data.some(function (v) { return (v && typeof v === "object" ? v.value : v) > 0; });
    });
    if (empty) { node.classList.add("empty"); node.textContent = "本期暂无数据"; return; }
    var c = echarts.init(node, null, { renderer: "svg" });
    option.textStyle = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };
    c.setOption(option);
    charts.push(c);
  }
  make("c-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: ["收到", "办结", "解决率", "满意率"], top: 0 },
    grid: { left: 44, right: 44, top: 36, bottom: 28 },
    xAxis: { type: "category", data: d.trend.months.map(function (m) { return m.replace(/^\d{4}年/, ""); }) },
    yAxis: [{ type: "value", name: narrow ? "" : "件" }, { type: "value", name: narrow ? "" : "%", max: 100, min: 0 }],
    series: [
      { name: "收到", type: "bar", data: d.trend.received, itemStyle: { color: blue } },
      { name: "办结", type: "bar", data: d.trend.resolved, itemStyle: { color: green } },
      { name: "解决率", type: "line", yAxisIndex: 1, data: d.trend.resolution, itemStyle: { color: red }, connectNulls: true },
      { name: "满意率", type: "line", yAxisIndex: 1, data: d.trend.satisfaction, itemStyle: { color: yellow }, connectNulls: true }
    ]
  });
  make("c-category", {
    tooltip: { trigger: "item", formatter: "{b}：{c}件（{d}%）" },
    legend: narrow ? { type: "scroll", bottom: 0 } : undefined,
    series: [{ type: "pie", radius: narrow ? ["30%", "58%"] : ["35%", "65%"], center: ["50%", narrow ? "44%" : "50%"], data: d.category,
      label: narrow ? { show: false } : { formatter: "{b}", overflow: "truncate", width: 90 } }]
  });
  make("c-places", {
    tooltip: { trigger: "axis" },
    legend: { data: ["收到", "办结"], top: 0 },
    grid: { left: 40, right: 10, top: 30, bottom: 70 },
    xAxis: { type: "category", data: d.places.names, axisLabel: { rotate: 40, interval: 0 } },
    yAxis: { type: "value" },
    series: [
      { name: "收到", type: "bar", data: d.places.received, itemStyle: { color: blue } },
      { name: "办结", type: "bar", data: d.places.resolved, itemStyle: { color: green } }
    ]
  });
  make("c-ranking", {
    tooltip: { trigger: "axis" },
    grid: { left: 110, right: 30, top: 10, bottom: 24 },
    xAxis: { type: "value", min: 0, max: 100 },
    yAxis: { type: "category", data: d.ranking.names, axisLabel: { width: 100, overflow: "truncate" } },
    series: [{ type: "bar", data: d.ranking.scores, itemStyle: { color: red }, label: { show: true, position: "right" } }]
  });
  make("c-ladder", {
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 10, top: 20, bottom: 28 },
    xAxis: { type: "category", data: d.ladder.names },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: d.ladder.values, label: { show: true, position: "top" },
      itemStyle: { color: function (p) { return ["#f3c06b", "#e8a23a", "#e07b39", "#d4492f", "#9e1015"][p.dataIndex]; } } }]
  });
  make("c-commit", {
    tooltip: { trigger: "item", formatter: "{b}：{c}项" },
    color: [green, yellow, red, blue],
    legend: narrow ? { bottom: 0 } : undefined,
    series: [{ type: "pie", radius: ["35%", "65%"], data: d.commitments, label: { show: !narrow } }]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
