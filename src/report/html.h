/// The self-contained HTML report: inline CSS, inline Vega bundles, data inline as JSON, no URLs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace edgetier {

/// Renders the report document as one HTML file that works offline. The document is
///
///   {"title": "...",                     optional
///    "generated_by": "edgetier 0.1.0",   optional
///    "analysis": {...},                  to_json(AnalysisReport), required
///    "recommendation": {...},            to_json(RecommendReport), optional
///    "latency_distributions": [...],     latency_distributions_json(), optional
///    "planner": {"heatmaps": [...]}}     optional, see below
///
/// and a bare analysis (an object with "scenarios") is read as {"analysis": it}. `planner`, when
/// given, replaces the document's "planner". A planner heatmap is
///
///   {"model": "ResNet", "scenario": "default", "percentile": 50,
///    "cells": [{"mobile_edge_rate_mbit": 10, "edge_cloud_rate_mbit": 50,
///               "strategy": "QE@E", "latency_ms": 2890.1}, ...]}
///
/// Optional sections that are missing or empty are left out (no empty charts). Charts are drawn by
/// vega-embed into <div class="chart" id="chart-N"> as SVG; when all have settled the page sets
/// data-state="done" (or "error") and data-rendered on #edgetier-status and lists every error
/// and warning the page logged in #edgetier-errors.
Result<std::string> render_html_report(const nlohmann::json& report,
                                       const nlohmann::json* planner = nullptr);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

/// JSON text that is safe inside a <script> element: <, > and & are written as \u003c, \u003e
/// and \u0026 (they only occur inside JSON strings, so the value is unchanged).
std::string json_for_script(const nlohmann::json& value);

}  // namespace edgetier
