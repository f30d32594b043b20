// ReDoc's sidebar footer ("API docs by Redocly") shows a logo it fetches from cdn.redoc.ly, with no
// option to turn it off. The docs make no request off this host (their Content-Security-Policy would
// refuse it, and say so in the console), so the logo's address becomes an empty inline image before
// the browser asks for it; the footer's text and link stay. Loaded before ReDoc's own bundle.
(function () {
  "use strict";
  var OUTSIDE_LOGO = /^https?:\/\/cdn\.redoc\.ly\//;
  var EMPTY_IMAGE = "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E";
  var setAttribute = HTMLImageElement.prototype.setAttribute;
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    if (String(name).toLowerCase() === "src" && OUTSIDE_LOGO.test(String(value))) {
      value = EMPTY_IMAGE;
    }
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      src.set.call(this, OUTSIDE_LOGO.test(String(value)) ? EMPTY_IMAGE : value);
    },
  });
})();
