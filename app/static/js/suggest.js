/* Start form: product and vendor names suggested while typing. Each input with data-suggest asks
   that URL (?q=what is typed) for at most ten names and puts them in the input's datalist, so the
   page carries no list that grows with the registry. Without this script the inputs are plain text
   fields and the form works the same. */
(function () {
  "use strict";

  var inputs = document.querySelectorAll("input[data-suggest]");
  var i;

  function attach(input) {
    var list = input.list;
    var timer = null;
    var asked = null;
    if (!list) { return; }

    function fill(names) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      names.forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        list.appendChild(option);
      });
    }

    function ask() {
      var q = input.value.trim();
      if (q === asked) { return; }
      asked = q;
      var url = input.getAttribute("data-suggest");
      url += (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {names: []}; })
        .then(function (data) { if (asked === q) { fill(data.names || []); } })
        .catch(function () { /* no suggestions: the field still takes any name */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("focus", ask);
  }

  for (i = 0; i < inputs.length; i++) { attach(inputs[i]); }
}());
