// Add a row to the batch intake table without reloading (the link works without JS).
document.addEventListener("DOMContentLoaded", function () {
  var add = document.getElementById("add-row"), body = document.getElementById("intake-body"), rows = document.getElementById("rows");
  if (!add || !body || !rows) return;
  add.addEventListener("click", function (ev) {
    ev.preventDefault();
    var last = body.querySelector("tr.intake-row:last-child"), n = parseInt(rows.value, 10);
    var row = last.cloneNode(true);
    row.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(/^items-\d+-/, "items-" + n + "-");
      if (el.tagName === "SELECT") el.selectedIndex = 0; else el.value = "";
    });
    row.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
    row.querySelector("td.n").textContent = n + 1;
    body.appendChild(row);
    rows.value = n + 1;
    row.querySelector("textarea").focus();
  });
});
