// The coupon form, served as a file so the pages' Content-Security-Policy
// allows no inline script.
// Without JavaScript every section shows; with it, only the chosen kind's.
(function () {
  var kind = document.getElementById("kind");
  function show() {
    document.querySelectorAll("fieldset[data-kind]").forEach(function (f) {
      f.hidden = f.dataset.kind !== kind.value;
    });
  }
  kind.addEventListener("change", show);
  show();
})();
// The coupon in words while it is typed: the server reads the form exactly as it
// would on saving and answers the summary, or the first thing to fix.
(function () {
  var form = document.querySelector("form.coupon-form");
  var out = document.getElementById("live-summary");
  var timer;
  function update() {
    fetch(form.dataset.preview, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
    }).then(function (response) {
      return response.text().then(function (text) {
        out.hidden = false;
        out.textContent = text;
        out.classList.toggle("pending", !response.ok);
      });
    });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  update();
})();
