// Public submission: geolocation, SMS code, and no double submit from a double tap.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form.case-form");
  if (form) form.addEventListener("submit", function () {
    var b = document.getElementById("submit-btn");
    setTimeout(function () { b.disabled = true; b.textContent = "正在提交…"; }, 0);
  });
  var locate = document.getElementById("locate");
  if (locate) locate.addEventListener("click", function () {
    var msg = document.getElementById("locate-msg");
    if (!navigator.geolocation) { msg.textContent = "此浏览器不支持定位"; return; }
    msg.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("latitude").value = p.coords.latitude.toFixed(6);
      document.getElementById("longitude").value = p.coords.longitude.toFixed(6);
      msg.textContent = "已附位置（仅办理人员可见）";
    }, function () { msg.textContent = "未能获取位置，可只填写地址"; }, { timeout: 10000 });
  });
  var send = document.getElementById("send-sms");
  if (send) send.addEventListener("click", function () {
    var fd = new FormData();
    fd.append("phone", document.getElementById("phone").value);
    fd.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    fetch(send.dataset.url, { method: "POST", body: fd }).then(function (r) { return r.json(); }).then(function (d) {
      document.getElementById("sms-msg").textContent = d.message;
      if (d.ok) { send.disabled = true; setTimeout(function () { send.disabled = false; }, 60000); }
    });
  });
});
