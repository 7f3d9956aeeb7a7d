/* Show-if conditions on a questionnaire step: the browser's side of app/rules/conditions.py.
   The server evaluates what earlier steps decide and leaves the comparisons over this step's
   questions as JSON: {"q": id, "op": operator, "value": v}, {"all": [...]}, {"any": [...]},
   {"not": ...}, or true / false (Condition.partial). This file evaluates that rest with the
   answers on the page. No DOM work here (steps.js does it), so Node can load it too:
   tests/test_condition_agreement.py checks it gives the same results as the server. */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.ShowIf = api;
  }
}(this, function () {
  "use strict";

  function has(list, x) { return list.indexOf(x) !== -1; }

  // One entry per operator of app/rules/operators.py, with the same test. `test(answer, value)`
  // is asked for an answered question; an unanswered one gives `unanswered(value)` (false unless
  // given). Answers are as `answer()` reads them: numbers for integers, "YYYY-MM-DD" for dates
  // (compared as text, which orders four-digit ISO dates by time), arrays for multi-choice.
  var OPERATORS = {
    eq: {test: function (a, v) { return a === v; }},
    ne: {test: function (a, v) { return a !== v; }},
    "in": {test: function (a, v) { return has(v, a); }},
    includes: {test: function (a, v) { return has(a, v); }},
    includes_any: {test: function (a, v) { return v.some(function (x) { return has(a, x); }); }},
    includes_all: {test: function (a, v) { return v.every(function (x) { return has(a, x); }); }},
    lt: {test: function (a, v) { return a < v; }},
    lte: {test: function (a, v) { return a <= v; }},
    gt: {test: function (a, v) { return a > v; }},
    gte: {test: function (a, v) { return a >= v; }},
    answered: {test: function (a, v) { return v; }, unanswered: function (v) { return !v; }}
  };

  function realDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m) { return false; }
    var y = +m[1], mo = +m[2], d = +m[3];
    var day = new Date(Date.UTC(2000, mo - 1, d));  // a leap year, so 29 February passes here
    day.setUTCFullYear(y);
    return y >= 1 && day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
  }

  // A question's answer as the page gives it -> typed like the server's, or undefined for none.
  // `raw`: the checked values (array) of a multi-choice, the checked value (or undefined) of a
  // single choice or yes/no, the text of any other input. Integers and dates must have the form
  // the server accepts (1 to 9 digits with an optional minus; a real day as YYYY-MM-DD); range
  // limits (min, max, the years a date may name) are left to the server and its message.
  function answer(type, raw) {
    if (raw === undefined || raw === null) { return undefined; }
    if (type === "multi") { return raw.length ? raw.slice() : undefined; }
    if (type === "single") { return raw === "" ? undefined : raw; }
    if (type === "boolean") {
      if (raw === "yes") { return true; }
      if (raw === "no") { return false; }
      return raw === "unknown" ? raw : undefined;
    }
    var text = String(raw).trim();
    if (text === "") { return undefined; }
    if (type === "integer") { return /^-?[0-9]{1,9}$/.test(text) ? parseInt(text, 10) : undefined; }
    if (type === "date") { return realDate(text) ? text : undefined; }
    return text;
  }

  // Whether `node` holds; `answerOf(id)` gives the typed answer to question `id` (undefined: none).
  function evaluate(node, answerOf) {
    if (node === true || node === false) { return node; }
    if (node.all) { return node.all.every(function (c) { return evaluate(c, answerOf); }); }
    if (node.any) { return node.any.some(function (c) { return evaluate(c, answerOf); }); }
    if (node.not !== undefined) { return !evaluate(node.not, answerOf); }
    var op = Object.prototype.hasOwnProperty.call(OPERATORS, node.op) ? OPERATORS[node.op] : null;
    if (!op) { return true; }  // an operator this script does not know: show rather than hide
    var a = answerOf(node.q);
    if (a === undefined) { return op.unanswered ? op.unanswered(node.value) : false; }
    return op.test(a, node.value);
  }

  return {OPERATORS: OPERATORS, answer: answer, evaluate: evaluate};
}));
