/* attnbook's widget player for the static website.

   The notebooks store the ipywidgets state of their figures (myst-nb embeds it in each page as
   <script type="application/vnd.jupyter.widget-state+json">, with one widget-view script where
   each output goes). An interactive figure is a few kinds of widget: boxes, a tree of Stacks of
   Image frames, SelectionSlider / Dropdown / ToggleButtons controls whose `index` is jslinked
   to the Stacks' `selected_index`, and HTML lines. This script draws exactly those from the
   state, and moves the links in the page, as the ipywidgets HTML manager would — in a few
   kilobytes and a few milliseconds, where the manager's 3.6 MB bundle took about a second of
   the page's main thread before the first control could be used.

   Every number and every frame still comes from the stored state (from Python); the page only
   chooses which frame shows. A widget kind the book does not use is drawn as an empty box, and
   the page says so in its console (the browser tests fail on it). */
(function () {
  "use strict";

  var REF = "IPY_MODEL_";
  var models = {};

  function Model(id, spec) {
    this.id = id;
    this.name = spec.model_name;
    this.state = spec.state || {};
    this.listeners = [];
    var state = this.state;
    (spec.buffers || []).forEach(function (buffer) {
      if (buffer.path && buffer.path.length === 1) {
        state[buffer.path[0]] = { base64: buffer.data };
      }
    });
  }
  Model.prototype.set = function (key, value) {
    if (this.state[key] === value) return;
    this.state[key] = value;
    this.listeners.forEach(function (listen) { listen(key, value); });
  };
  Model.prototype.on = function (key, listen) {
    this.listeners.push(function (k, v) { if (k === key) listen(v); });
  };

  function model(ref) {
    return typeof ref === "string" ? models[ref.replace(REF, "")] : undefined;
  }

  function element(tag, className, parent) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (parent) parent.appendChild(el);
    return el;
  }

  // Layout traits are CSS properties (max_width -> max-width); style traits we use: widths.
  function applyLayout(el, m) {
    var layout = model(m.state.layout);
    if (layout) {
      Object.keys(layout.state).forEach(function (key) {
        var value = layout.state[key];
        if (key.charAt(0) !== "_" && value !== null && value !== undefined && value !== "") {
          el.style.setProperty(key.replace(/_/g, "-"), String(value));
        }
      });
    }
    (m.state._dom_classes || []).forEach(function (c) { el.classList.add(c); });
  }

  function styleOf(m) {
    var style = model(m.state.style);
    return style ? style.state : {};
  }

  // A control's row: its description, then the control itself.
  function labelled(m, kind) {
    var row = element("div", "widget-inline widget-" + kind);
    var text = m.state.description;
    if (text) {
      var label = element("label", "widget-label", row);
      label.textContent = text;
      var width = styleOf(m).description_width;
      if (width && width !== "initial") label.style.width = width;
      if (m.state.tooltip) label.title = m.state.tooltip;
    }
    return row;
  }

  var draw = {
    VBoxModel: function (m) { return box(m, "widget-vbox"); },
    HBoxModel: function (m) { return box(m, "widget-hbox"); },
    BoxModel: function (m) { return box(m, "widget-hbox"); },

    StackModel: function (m) {
      // Only the selected child is built and shown (as ipywidgets 8 does); the others are built
      // the first time a control reaches them, and kept.
      var el = element("div", "widget-box widget-stack");
      var built = {};
      function show(index) {
        Object.keys(built).forEach(function (i) { built[i].style.display = "none"; });
        if (index === null || index === undefined) return;
        var ref = m.state.children[index];
        if (ref === undefined) return;
        if (!built[index]) built[index] = el.appendChild(view(ref));
        built[index].style.display = "";
      }
      show(m.state.selected_index);
      m.on("selected_index", show);
      return el;
    },

    ImageModel: function (m) {
      var el = element("img", "widget-image");
      var value = m.state.value;
      if (value && value.base64) {
        el.src = "data:image/" + (m.state.format || "png") + ";base64," + value.base64;
      }
      if (m.state.width) el.setAttribute("width", m.state.width);
      if (m.state.height) el.setAttribute("height", m.state.height);
      el.alt = "";
      return el;
    },

    HTMLModel: function (m) {
      var row = labelled(m, "html");
      var content = element("div", "widget-html-content", row);
      content.innerHTML = m.state.value || "";
      return row;
    },

    SelectionSliderModel: function (m) {
      var row = labelled(m, "slider");
      var labels = m.state._options_labels || [];
      var input = element("input", "widget-range", row);
      input.type = "range";
      input.min = 0;
      input.max = Math.max(labels.length - 1, 0);
      input.step = 1;
      input.value = m.state.index;
      input.disabled = !!m.state.disabled;
      var readout = element("span", "widget-readout", row);
      if (m.state.readout === false) readout.style.display = "none";
      if (m.state.description) input.setAttribute("aria-label", m.state.description);
      function show(index) {
        input.value = index;
        readout.textContent = labels[index];
        input.setAttribute("aria-valuetext", labels[index]);
      }
      show(m.state.index);
      input.addEventListener("input", function () { m.set("index", Number(input.value)); });
      m.on("index", show);
      return row;
    },

    DropdownModel: function (m) {
      var row = labelled(m, "dropdown");
      var select = element("select", "", row);
      (m.state._options_labels || []).forEach(function (text, i) {
        var option = element("option", "", select);
        option.textContent = text;
        option.value = String(i);
      });
      select.disabled = !!m.state.disabled;
      if (m.state.description) select.setAttribute("aria-label", m.state.description);
      select.selectedIndex = m.state.index;
      select.addEventListener("change", function () { m.set("index", select.selectedIndex); });
      m.on("index", function (index) { select.selectedIndex = index; });
      return row;
    },

    ToggleButtonsModel: function (m) {
      var row = labelled(m, "toggle-buttons");
      var group = element("div", "widget-toggle-buttons-group", row);
      group.setAttribute("role", "group");
      if (m.state.description) group.setAttribute("aria-label", m.state.description);
      var tips = m.state.tooltips || [];
      var buttons = (m.state._options_labels || []).map(function (text, i) {
        var button = element("button", "widget-toggle-button", group);
        button.type = "button";
        button.textContent = text;
        if (tips[i]) button.title = tips[i];
        button.disabled = !!m.state.disabled;
        button.addEventListener("click", function () { m.set("index", i); });
        return button;
      });
      function show(index) {
        buttons.forEach(function (button, i) {
          button.classList.toggle("mod-active", i === index);
          button.setAttribute("aria-pressed", String(i === index));
        });
      }
      show(m.state.index);
      m.on("index", show);
      return row;
    },

    // A live figure's text boxes: shown with their value; on the website no kernel redraws the
    // figure (the figure's note says so).
    TextModel: function (m) {
      var row = labelled(m, "text");
      var input = element("input", "", row);
      input.type = "text";
      input.value = m.state.value || "";
      input.placeholder = m.state.placeholder || "";
      input.disabled = !!m.state.disabled;
      if (m.state.description) input.setAttribute("aria-label", m.state.description);
      return row;
    },

    TextareaModel: function (m) {
      var row = labelled(m, "textarea");
      var area = element("textarea", "", row);
      area.value = m.state.value || "";
      area.rows = m.state.rows || 3;
      area.placeholder = m.state.placeholder || "";
      area.disabled = !!m.state.disabled;
      if (m.state.description) area.setAttribute("aria-label", m.state.description);
      return row;
    }
  };

  function box(m, kind) {
    var el = element("div", "widget-box " + kind);
    (m.state.children || []).forEach(function (ref) { el.appendChild(view(ref)); });
    return el;
  }

  function view(ref) {
    var m = model(ref);
    if (!m) {
      console.error("attnbook widgets: no state for " + ref);
      return element("div", "widget-missing");
    }
    var drawer = draw[m.name];
    if (!drawer) {
      console.error("attnbook widgets: cannot draw a " + m.name);
      return element("div", "widget-missing");
    }
    var el = drawer(m);
    el.classList.add("jupyter-widgets");
    applyLayout(el, m);
    return el;
  }

  // jslink / jsdlink: keep a trait of one widget equal to a trait of another, in the page.
  function link(m) {
    var source = m.state.source || [], target = m.state.target || [];
    var a = model(source[0]), b = model(target[0]);
    if (!a || !b) return;
    b.set(target[1], a.state[source[1]]);
    a.on(source[1], function (value) { b.set(target[1], value); });
    if (m.name === "LinkModel") b.on(target[1], function (value) { a.set(source[1], value); });
  }

  function start() {
    var holders = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-state+json"]');
    Array.prototype.forEach.call(holders, function (holder) {
      var state = JSON.parse(holder.textContent).state || {};
      Object.keys(state).forEach(function (id) { models[id] = new Model(id, state[id]); });
    });
    Object.keys(models).forEach(function (id) {
      var m = models[id];
      if (m.name === "LinkModel" || m.name === "DirectionalLinkModel") link(m);
    });
    var views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    Array.prototype.forEach.call(views, function (script) {
      var id = JSON.parse(script.textContent).model_id;
      if (!models[id] || !script.parentElement) return;
      var area = document.createElement("div");
      area.className = "widget-subarea";
      try {
        area.appendChild(view(REF + id));
      } catch (err) {  // one figure that cannot be drawn must not stop the others
        console.error("attnbook widgets: could not draw " + id + ": " + err);
        return;
      }
      script.parentElement.insertBefore(area, script);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();  // a deferred script: the page's HTML is parsed
  }
})();
