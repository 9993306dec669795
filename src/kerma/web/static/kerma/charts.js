/* Kerma charts: each element [data-chart][data-url] gets its aggregated data from the server
   (JSON) and is drawn with Plotly (served from the plotly package, no CDN). Labels come
   translated in the JSON; French pages use a decimal comma. Once Plotly has drawn a chart, its
   container gets data-rendered="1" ("empty" when there is no data, "error" when loading failed),
   so that browser tests can wait for it. A form with data-autosubmit reloads on every change. */
(function () {
  "use strict";

  var COLOURS = {
    bars: "#0b6e84",
    overflow: "#8a95a3",
    median: "#d9822b",
    vgd: "#2e7d32",
    nrd: "#b3261e",
    points: "rgba(11, 110, 132, 0.45)",
    band: "rgba(11, 110, 132, 0.15)",
    counts: "rgba(138, 149, 163, 0.35)",
    ink: "#1d2733",
  };

  function isFrench() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("fr") === 0;
  }

  function formatNumber(value) {
    if (value === null || value === undefined) return "—";
    var text = Number(value).toPrecision(3);
    text = String(Number(text));
    return isFrench() ? text.replace(".", ",") : text;
  }

  /* Plotly reads a few HTML tags in its texts: names from DICOM headers are shown as text. */
  function text(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function layout(data, xTitle, yTitle, extra) {
    var base = {
      title: {
        text: text(data.title),
        font: { size: 14 },
        subtitle: { text: text(data.subtitle), font: { size: 11, color: "#5f6b7a" } },
      },
      margin: { l: 64, r: 24, t: 64, b: 96 },
      xaxis: { title: { text: text(xTitle) }, zeroline: false, automargin: true },
      yaxis: {
        title: { text: text(yTitle) }, zeroline: false, rangemode: "tozero", automargin: true,
      },
      // At the foot of the figure, below the axis title whatever the tick labels take.
      legend: { orientation: "h", yref: "container", y: 0, yanchor: "bottom", x: 0 },
      bargap: 0.04,
      hovermode: "closest",
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12 },
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
    };
    // Plotly's separators: decimal then thousands (French: "1 234,5").
    if (isFrench()) base.separators = ", ";
    return Object.assign(base, extra || {});
  }

  function config(data) {
    return {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d"],
      toImageButtonOptions: {
        format: "png",
        filename: data.filename || "kerma-chart",
        width: 1200,
        height: 700,
        scale: 1,
      },
    };
  }

  /* A reference line (vertical at x, or horizontal at y) that shows in the legend. */
  function line(orientation, value, colour, name, dash) {
    var shape = {
      type: "line",
      line: { color: colour, width: 2, dash: dash || "solid" },
      name: text(name) + " " + formatNumber(value),
      showlegend: true,
      layer: "above",
    };
    if (orientation === "v") {
      Object.assign(shape, { xref: "x", yref: "paper", x0: value, x1: value, y0: 0, y1: 1 });
    } else {
      Object.assign(shape, { xref: "paper", yref: "y", x0: 0, x1: 1, y0: value, y1: value });
    }
    return shape;
  }

  function referenceLines(data, orientation, median) {
    var shapes = [];
    var ref = data.reference || {};
    if (median !== null && median !== undefined) {
      shapes.push(line(orientation, median, COLOURS.median, data.labels.median, "dot"));
    }
    if (ref.vgd !== null && ref.vgd !== undefined) {
      shapes.push(line(orientation, ref.vgd, COLOURS.vgd, data.labels.vgd, "dash"));
    }
    if (ref.nrd !== null && ref.nrd !== undefined) {
      shapes.push(line(orientation, ref.nrd, COLOURS.nrd, data.labels.nrd, "solid"));
    }
    return shapes;
  }

  function histogramTraces(data) {
    var regular = data.bins.filter(function (b) { return b.end !== null; });
    var overflow = data.bins.filter(function (b) { return b.end === null; });
    var width = regular.length ? regular[0].end - regular[0].start : 1;
    var traces = [{
      type: "bar",
      x: regular.map(function (b) { return (b.start + b.end) / 2; }),
      y: regular.map(function (b) { return b.count; }),
      width: regular.map(function (b) { return b.end - b.start; }),
      customdata: regular.map(function (b) { return [formatNumber(b.start), formatNumber(b.end)]; }),
      hovertemplate: "[%{customdata[0]} ; %{customdata[1]}[ : %{y}<extra></extra>",
      marker: { color: COLOURS.bars },
      name: data.labels.exams,
      showlegend: false,
    }];
    if (overflow.length) {
      traces.push({
        type: "bar",
        x: [overflow[0].start + width / 2],
        y: [overflow[0].count],
        width: [width],
        hovertemplate: "≥ " + formatNumber(overflow[0].start) + " : %{y}<extra></extra>",
        marker: { color: COLOURS.overflow },
        name: "≥ " + formatNumber(overflow[0].start),
        showlegend: true,
      });
    }
    return traces;
  }

  var DRAW = {
    distribution: function (data) {
      return {
        empty: !data.n,
        traces: histogramTraces(data),
        layout: layout(data, data.labels.value, data.labels.exams, {
          shapes: referenceLines(data, "v", data.median),
        }),
      };
    },

    evaluation: function (data) {
      var traces = histogramTraces(data);
      // Each exam of the sample as a tick under the bars.
      traces.push({
        type: "scatter",
        mode: "markers",
        x: data.values.map(function (v) { return v.value; }),
        y: data.values.map(function () { return 0; }),
        customdata: data.values.map(function (v) { return [v.rank, v.study_date]; }),
        hovertemplate: "#%{customdata[0]} %{customdata[1]} : %{x}<extra></extra>",
        marker: { symbol: "line-ns-open", size: 14, color: COLOURS.ink, line: { width: 1.5 } },
        name: data.labels.values,
        cliponaxis: false,
      });
      return {
        empty: !data.n,
        traces: traces,
        layout: layout(data, data.labels.value, data.labels.exams, {
          shapes: referenceLines(data, "v", data.median),
        }),
      };
    },

    monthly: function (data) {
      var months = data.months.map(function (m) { return m.month + "-01"; });
      var traces = [
        {
          type: "bar",
          x: months,
          y: data.months.map(function (m) { return m.n; }),
          yaxis: "y2",
          name: data.labels.exams,
          marker: { color: COLOURS.counts },
          hovertemplate: "%{y}<extra>" + data.labels.exams + "</extra>",
        },
        {
          type: "scatter",
          mode: "lines",
          x: months,
          y: data.months.map(function (m) { return m.q3; }),
          line: { width: 0 },
          hoverinfo: "skip",
          showlegend: false,
          connectgaps: false,
        },
        {
          type: "scatter",
          mode: "lines",
          x: months,
          y: data.months.map(function (m) { return m.q1; }),
          fill: "tonexty",
          fillcolor: COLOURS.band,
          line: { width: 0 },
          name: data.labels.quartiles,
          hoverinfo: "skip",
          connectgaps: false,
        },
        {
          type: "scatter",
          mode: "lines+markers",
          x: months,
          y: data.months.map(function (m) { return m.median; }),
          name: data.labels.monthly_median,
          line: { color: COLOURS.bars, width: 2 },
          connectgaps: false,
          hovertemplate: "%{y}<extra>" + data.labels.monthly_median + "</extra>",
        },
      ];
      return {
        empty: !data.n,
        traces: traces,
        layout: layout(data, data.labels.month, data.labels.value, {
          xaxis: {
            type: "date",
            tickformat: isFrench() ? "%m/%Y" : "%Y-%m",
            dtick: "M1",
            automargin: true,
          },
          yaxis: {
            title: { text: text(data.labels.value) }, rangemode: "tozero", automargin: true,
          },
          yaxis2: {
            overlaying: "y",
            side: "right",
            showgrid: false,
            rangemode: "tozero",
            tickmode: "auto",
            nticks: 5,
            title: { text: text(data.labels.exams) },
          },
          margin: { l: 64, r: 64, t: 64, b: 96 },
          shapes: referenceLines(data, "h", null),
        }),
      };
    },

    devices: function (data) {
      // Horizontal boxes: long device names stay readable on the vertical axis.
      function box(boxes, colour, fill) {
        function field(name) { return boxes.map(function (d) { return d[name]; }); }
        return {
          type: "box",
          orientation: "h",
          // A device with very many exams is read one exam in k: say so next to its n.
          y: boxes.map(function (d) {
            var sampled = d.sampled_1_in > 1 ? ", 1/" + d.sampled_1_in : "";
            return text(d.name) + " (n=" + d.n + sampled + ")";
          }),
          q1: field("q1"),
          median: field("median"),
          q3: field("q3"),
          lowerfence: field("lower_whisker"),
          upperfence: field("upper_whisker"),
          mean: field("mean"),
          boxpoints: false,
          marker: { color: colour },
          line: { color: colour },
          fillcolor: fill,
          showlegend: false,
          hoverinfo: "x",
        };
      }
      var mine = data.devices.filter(function (d) { return d.id === data.selected; });
      var others = data.devices.filter(function (d) { return d.id !== data.selected; });
      var traces = [];
      if (others.length) traces.push(box(others, COLOURS.bars, COLOURS.band));
      if (mine.length) traces.push(box(mine, COLOURS.median, "rgba(217, 130, 43, 0.2)"));
      return {
        empty: !data.devices.length,
        traces: traces,
        layout: layout(data, data.labels.value, "", {
          shapes: referenceLines(data, "v", null),
          yaxis: { type: "category", automargin: true },
          xaxis: { title: { text: text(data.labels.value) }, rangemode: "tozero", zeroline: false },
          height: Math.max(320, 140 + 60 * data.devices.length),
        }),
      };
    },

    size: function (data) {
      var traces = [
        {
          type: "scatter",
          mode: "markers",
          x: data.points.map(function (p) { return p[0]; }),
          y: data.points.map(function (p) { return p[1]; }),
          marker: { color: COLOURS.points, size: 5 },
          name: data.labels.points,
          hovertemplate: "%{x:.1f} ; %{y}<extra></extra>",
        },
        {
          type: "scatter",
          mode: "lines+markers",
          x: data.trend.map(function (b) { return (b.start + b.end) / 2; }),
          y: data.trend.map(function (b) { return b.median; }),
          customdata: data.trend.map(function (b) { return b.n; }),
          line: { color: COLOURS.median, width: 2 },
          name: data.labels.trend,
          connectgaps: false,
          hovertemplate: "%{y} (n=%{customdata})<extra></extra>",
        },
      ];
      return {
        empty: !data.n,
        traces: traces,
        layout: layout(data, data.labels.size, data.labels.value, {
          shapes: referenceLines(data, "h", null),
        }),
      };
    },
  };

  function setStatus(container, text) {
    var status = container.querySelector(".chart-status");
    if (!status) return;
    status.textContent = text || "";
    status.hidden = !text;
  }

  function setNote(container, text) {
    var note = container.querySelector(".chart-note");
    if (!note) return;
    note.textContent = text || "";
    note.hidden = !text;
  }

  function draw(container) {
    var kind = container.getAttribute("data-chart");
    var url = container.getAttribute("data-url");
    var target = container.querySelector(".chart-plot") || container;
    if (!DRAW[kind] || !url) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || response.statusText);
          return body;
        });
      })
      .then(function (data) {
        var notes = [data.labels.reference_set || "", data.note || ""];
        if (data.chart === "size" && data.labels.sampled && data.n > data.points.length) {
          notes.push(data.labels.sampled);
        }
        setNote(container, notes.filter(Boolean).join("\n"));
        var figure = DRAW[kind](data);
        if (figure.empty) {
          setStatus(container, data.labels.empty);
          container.setAttribute("data-rendered", "empty");
          return null;
        }
        setStatus(container, "");
        return Plotly.newPlot(target, figure.traces, figure.layout, config(data)).then(function () {
          container.setAttribute("data-rendered", "1");
        });
      })
      .catch(function (error) {
        setStatus(container, String(error.message || error));
        container.setAttribute("data-rendered", "error");
      });
  }

  function autosubmit() {
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () { form.submit(); });
      });
    });
  }

  function start() {
    autosubmit();
    if (typeof Plotly === "undefined") {
      document.querySelectorAll("[data-chart]").forEach(function (c) {
        setStatus(c, "plotly.js did not load");
        c.setAttribute("data-rendered", "error");
      });
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
