// plumb HTML report: filters findings and counts what is shown. The page works without it.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var counts = document.getElementById("counts");
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.f"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#hosts tbody tr"));
  var names = [];
  rows.forEach(function (row) { names[Number(row.dataset.i)] = row.dataset.name.toLowerCase(); });
  // data-h: host indices and first-last runs, such as "0-41 57".
  var hostsOf = groups.map(function (g) {
    var list = [];
    (g.dataset.h || "").split(" ").forEach(function (token) {
      if (!token) { return; }
      var run = token.split("-"), first = Number(run[0]), last = Number(run[1] || run[0]);
      for (var h = first; h <= last; h += 1) { list.push(h); }
    });
    return list;
  });
  var severities = ["critical", "high", "medium", "low"];

  var fields = ["sev", "st", "tag", "cis", "host"];
  // Filters travel in the address (#st=fail&host=web), so a filtered view can be linked.
  var preset = new URLSearchParams(location.hash.slice(1));
  fields.forEach(function (name) {
    if (preset.has(name)) { form.elements[name].value = preset.get(name); }
  });

  function remember() {
    var params = new URLSearchParams();
    fields.forEach(function (name) {
      if (form.elements[name].value) { params.set(name, form.elements[name].value); }
    });
    var hash = params.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (e) { /* some file:// contexts refuse; filtering still works */ }
  }

  function has(list, word) { return (" " + list + " ").indexOf(" " + word + " ") >= 0; }

  function apply() {
    var sev = form.elements.sev.value, st = form.elements.st.value;
    var tag = form.elements.tag.value, cis = form.elements.cis.value;
    var host = form.elements.host.value.trim().toLowerCase();
    var hostOk = null;
    if (host) {
      hostOk = {};
      names.forEach(function (name, i) { if (name.indexOf(host) >= 0) { hostOk[i] = true; } });
    }
    var c = { entries: 0, results: 0, pass: 0, fail: 0, skipped: 0, error: 0 };
    severities.forEach(function (s) { c[s] = 0; });
    groups.forEach(function (g, index) {
      var d = g.dataset;
      var show = (!sev || d.sev === sev) && (!st || d.st === st) &&
        (!tag || has(d.tags, tag)) && (!cis || has(d.cis, cis));
      var n = 0;
      if (show) {
        hostsOf[index].forEach(function (h) { if (!hostOk || hostOk[h]) { n += 1; } });
        show = n > 0;
      }
      g.hidden = !show;
      if (show) {
        c.entries += 1;
        c.results += n;
        c[d.st] = (c[d.st] || 0) + n;
        if (d.st === "fail") { c[d.sev] += n; }
      }
    });
    rows.forEach(function (row) { row.hidden = hostOk !== null && !hostOk[row.dataset.i]; });
    Object.keys(c).forEach(function (k) { counts.dataset[k] = String(c[k]); });
    var parts = Object.keys(c).filter(function (k) {
      return k !== "entries" && k !== "results" && severities.indexOf(k) < 0 && c[k] > 0;
    }).map(function (k) { return c[k] + " " + k; });
    counts.textContent = "Showing " + c.results + " results in " + c.entries + " entries" +
      (parts.length ? " (" + parts.join(", ") + ")" : "") + ".";
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.host");
    if (!link) { return; }
    form.elements.host.value = names[Number(link.dataset.i)] || "";
    apply();
    remember();
  });
  form.addEventListener("input", function () { apply(); remember(); });
  form.addEventListener("change", function () { apply(); remember(); });
  form.hidden = false;
  apply();
  document.body.dataset.js = "ready";
})();
