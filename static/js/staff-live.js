// One /staff/live stream per staff page, shared by the scripts that listen to it (live.js
// for the agenda, waiting.js for the waiting room): browsers allow few connections per
// host, and each open tab would otherwise hold two. A stream the server ended for good
// (signed out) is replaced by a new one on the next request for it.
(function () {
  "use strict";
  var sources = {};
  window.staffLive = {
    source: function (url) {
      url = url || "/staff/live";
      var source = sources[url];
      if (!source || source.readyState === EventSource.CLOSED) {
        source = sources[url] = new EventSource(url);
      }
      return source;
    },
  };
})();
