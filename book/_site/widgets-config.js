// Loaded after require.js and before the ipywidgets HTML manager (see nb_ipywidgets_js in
// _config.yml). The manager's bundles define named AMD modules and locate their own files (the
// widget icon fonts) next to the module's URL; point those names at the copy in _static, so the
// fonts load from this site instead of 404ing at a page-relative path.
(function () {
  var root = document.documentElement.dataset.content_root || "";
  var dist = root + "_static/html-manager/dist";
  require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": dist,
      "@jupyter-widgets/html-manager": dist + "/html-manager",
      "@jupyter-widgets/base": dist + "/base",
      "@jupyter-widgets/controls": dist + "/controls",
      "@jupyter-widgets/output": dist + "/output"
    }
  });
})();

// The widget manager typesets LaTeX in widget labels with the MathJax 2 call
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the pages load MathJax 3, which has no
// Hub, so the manager throws and draws nothing. Give it a Hub that forwards to MathJax 3 (queueing
// elements that arrive before MathJax has started).
(function () {
  if (!window.MathJax) return; // a page without maths does not load MathJax at all
  var pending = [];
  var hub = {
    Queue: function (job) {
      var element = job && job[2];
      if (!element) return;
      if (window.MathJax.typesetPromise) window.MathJax.typesetPromise([element]);
      else pending.push(element);
    }
  };
  window.MathJax.Hub = hub;
  var startup = (window.MathJax.startup = window.MathJax.startup || {});
  startup.ready = function () {
    window.MathJax.startup.defaultReady();
    window.MathJax.Hub = hub;
    window.MathJax.startup.promise.then(function () {
      if (pending.length) window.MathJax.typesetPromise(pending.splice(0));
    });
  };
})();
