// Autocomplete for the search box, as progressive enhancement: without JavaScript the box is a
// plain input and the form works the same. Suggestions (titles, then keywords) come from
// /api/v1/suggest and fill a <datalist>, which the browser shows and makes accessible.
(function () {
  "use strict";
  var input = document.getElementById("q");
  if (!input || !input.dataset.suggestUrl || !window.fetch) {
    return;
  }
  var list = document.createElement("datalist");
  list.id = "q-suggestions";
  input.insertAdjacentElement("afterend", list);
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  var timer = null;
  var asked = "";
  var pending = null;

  function show(suggestions) {
    var options = suggestions.map(function (suggestion) {
      var option = document.createElement("option");
      option.value = suggestion.value;
      option.label = suggestion.kind === "keyword" ? "Keyword" : "Dataset";
      return option;
    });
    list.replaceChildren.apply(list, options);
  }

  function suggest() {
    var text = input.value.trim();
    if (text.length < 2 || text === asked) {
      return;
    }
    asked = text;
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(text), {
      signal: pending.signal,
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      })
      .then(function (body) {
        show(body.suggestions || []);
      })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, 150);
  });
})();
