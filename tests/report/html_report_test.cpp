/// The HTML report: opened in headless Chromium without network (every chart drawn, no errors,
/// a screenshot under the build folder), self-contained, escaped, sections omitted when absent.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "report/html.h"
#include "report/report_data.h"
#include "report/report_fixtures.h"
#include "report/vega_bundle.h"
#include "test_util.h"

namespace edgetier {
namespace {

using nlohmann::json;

/// The report of the study's data plus a model with a latency breakdown and a planner grid, so
/// every chart kind appears.
json full_report() {
  ResultSet results;
  Status loaded = testing::load_study_results(&results);
  EXPECT_TRUE(loaded.ok()) << loaded.to_string();
  testing::add_breakdown_model(&results);
  ReportOptions options;
  options.recommend.analysis.bootstrap.resamples = 200;  // CIs are not under test here
  options.title = "edgetier report: study data";
  const json planner = testing::synthetic_planner("ResNet");
  auto report = build_report(results, options, &planner);
  EXPECT_TRUE(report.ok()) << report.status().to_string();
  return report.ok() ? *report : json();
}

/// The page without the inlined library bundles: what edgetier itself writes.
std::string without_libraries(const std::string& html) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = html.find("<script data-library=", pos);
    if (open == std::string::npos) break;
    const size_t close = html.find("</script>", open);
    out += html.substr(pos, open - pos);
    pos = close == std::string::npos ? html.size() : close + 9;
  }
  return out + html.substr(pos);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

/// The value of attribute `name` in the first tag that contains `marker`.
std::string attribute(const std::string& dom, const std::string& marker, const std::string& name) {
  const size_t tag = dom.find(marker);
  if (tag == std::string::npos) return "<missing " + marker + ">";
  const size_t end = dom.find('>', tag);
  const size_t at = dom.find(" " + name + "=\"", dom.rfind('<', tag));
  if (at == std::string::npos || at > end) return "<no " + name + ">";
  const size_t value = at + name.size() + 3;
  return dom.substr(value, dom.find('"', value) - value);
}

/// The text inside the element that `marker` opens.
std::string element_text(const std::string& dom, const std::string& marker) {
  const size_t tag = dom.find(marker);
  if (tag == std::string::npos) return "<missing " + marker + ">";
  const size_t begin = dom.find('>', tag) + 1;
  return dom.substr(begin, dom.find('<', begin) - begin);
}

std::string find_chromium() {
  if (const char* env = std::getenv("EDGETIER_CHROMIUM"); env != nullptr && *env) return env;
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

TEST(HtmlReport, RendersEveryChartInHeadlessChromiumWithoutNetwork) {
  const std::string chromium = find_chromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found; the report test needs a headless browser: install it with "
         "`EDGETIER_WITH_TEST_DEPS=1 bash scripts/setup-deps.sh` (Debian package chromium) or "
         "point EDGETIER_CHROMIUM at one";
  const json report = full_report();
  auto html = render_html_report(report);
  ASSERT_TRUE(html.ok()) << html.status().to_string();

  // 4 study models: latency + accuracy; TinyNet: latency + breakdown (no accuracy); planner.
  std::map<std::string, int> kinds;
  for (const char* kind : {"latency", "accuracy", "breakdown", "planner"}) {
    kinds[kind] = static_cast<int>(count(*html, "data-kind=\"" + std::string(kind) + "\""));
  }
  EXPECT_EQ(kinds["latency"], 5);
  EXPECT_EQ(kinds["accuracy"], 4);
  EXPECT_EQ(kinds["breakdown"], 1);
  EXPECT_EQ(kinds["planner"], 1);
  const int charts = 11;

  TempDir dir;
  const std::string page = dir.file("report.html");
  write_file(page, *html);
  const std::string screenshot = std::string(EDGETIER_BUILD_DIR) + "/report-screenshot.png";
  std::filesystem::remove(screenshot);
  // Network off twice over: every host resolves to nothing and every request goes to a closed
  // local port; the page's own CSP forbids any load. The virtual time budget lets vega-embed's
  // asynchronous rendering finish before the DOM is dumped and the screenshot taken.
  const std::string cmd =
      "timeout 120 " + chromium +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --disable-extensions --user-data-dir=" +
      dir.file("profile") +
      " --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server=127.0.0.1:9"
      " --proxy-bypass-list='<-loopback>' --virtual-time-budget=15000"
      " --window-size=1400,3000 --screenshot=" +
      screenshot + " --dump-dom file://" + page + " >" + dir.file("dom.html") + " 2>" +
      dir.file("stderr");
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "chromium failed (" << status << "): " << read_file(dir.file("stderr"));
  const std::string dom = read_file(dir.file("dom.html"));
  ASSERT_FALSE(dom.empty()) << read_file(dir.file("stderr"));

  EXPECT_EQ(attribute(dom, "id=\"edgetier-status\"", "data-state"), "done")
      << element_text(dom, "id=\"edgetier-errors\"");
  EXPECT_EQ(element_text(dom, "id=\"edgetier-errors\""), "");
  EXPECT_EQ(attribute(dom, "id=\"edgetier-status\"", "data-charts"), std::to_string(charts));
  EXPECT_EQ(attribute(dom, "id=\"edgetier-status\"", "data-rendered"), std::to_string(charts));
  // Each container holds the SVG vega drew, independently of what the page reports.
  for (int i = 0; i < charts; ++i) {
    const std::string id = "id=\"chart-" + std::to_string(i) + "\"";
    const size_t start = dom.find(id);
    ASSERT_NE(start, std::string::npos) << id;
    const size_t next = dom.find("class=\"chart", start + id.size());
    const size_t svg = dom.find("<svg", start);
    EXPECT_TRUE(svg != std::string::npos && svg < next) << "no <svg> in chart-" << i;
    EXPECT_EQ(attribute(dom, id, "data-svg"), "1") << id;
  }
  EXPECT_EQ(count(without_libraries(dom), "<svg "), static_cast<size_t>(charts));
  EXPECT_NE(dom.find("Vega 5.33.0, Vega-Lite 5.23.0, vega-embed 6.29.0"), std::string::npos);

  const std::string png = read_file(screenshot);
  ASSERT_GT(png.size(), 50'000u) << screenshot;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST(HtmlReport, IsOneSelfContainedFileWithoutUrls) {
  const json report = full_report();
  auto html = render_html_report(report);
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  // The three libraries are inlined, in load order, with their source-map comments removed.
  const auto scripts = vega_scripts();
  ASSERT_EQ(scripts.size(), 3u);
  size_t last = 0;
  for (const auto& s : scripts) {
    const size_t at = html->find("<script data-library=\"" + std::string(s.name) + "\">");
    ASSERT_NE(at, std::string::npos) << s.name;
    EXPECT_GT(at, last);
    last = at;
    EXPECT_GT(s.source.size(), 50'000u) << s.name;
    EXPECT_EQ(s.source.find("sourceMappingURL"), std::string_view::npos) << s.name;
  }
  // What edgetier writes around them refers to nothing outside the file.
  const std::string own = without_libraries(*html);
  for (const char* forbidden : {"http://", "https://", "//cdn", " src=", "<link", "@import"}) {
    EXPECT_EQ(own.find(forbidden), std::string::npos) << forbidden;
  }
  EXPECT_NE(own.find("Content-Security-Policy"), std::string::npos);
  // The report document travels inside the page and reads back unchanged.
  const std::string open = "<script type=\"application/json\" id=\"edgetier-report\">";
  const size_t begin = html->find(open) + open.size();
  const json embedded = json::parse(html->substr(begin, html->find("</script>", begin) - begin));
  EXPECT_EQ(embedded, report);
}

TEST(HtmlReport, EscapesMarkupInNamesAndData) {
  json analysis = full_report().at("analysis");
  const std::string evil = "</script><script>alert(1)</script><!--";
  analysis["scenarios"][0]["model"] = evil;
  analysis["scenarios"][0]["notes"].push_back("<b>bold & \"quoted\"</b>");
  auto html = render_html_report(analysis);  // a bare analysis is accepted
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  const std::string own = without_libraries(*html);
  EXPECT_EQ(own.find("<script>alert"), std::string::npos);
  EXPECT_EQ(own.find("<!--"), std::string::npos);
  EXPECT_NE(own.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_NE(own.find("&lt;b&gt;bold &amp; &quot;quoted&quot;&lt;/b&gt;"), std::string::npos);
  // Every "</script" left closes one of the page's own script elements.
  EXPECT_EQ(count(own, "</script"), count(own, "<script"));
  EXPECT_EQ(json_for_script(json(evil)),
            "\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"
            "\\u003c/script\\u003e\\u003c!--\"");
  EXPECT_EQ(json::parse(json_for_script(json(evil))), evil);
}

TEST(HtmlReport, LeavesOutSectionsWithoutData) {
  ResultSet results;
  testing::add_breakdown_model(&results);  // no accuracy at all
  auto analysis = analyze(results, AnalysisOptions{});
  ASSERT_TRUE(analysis.ok()) << analysis.status().to_string();
  json bare = to_json(*analysis);
  for (auto& s : bare["scenarios"][0]["strategies"]) s["breakdown_p50_ms"] = json::object();
  auto html = render_html_report(bare);
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  // Only the latency chart (from percentiles: no samples in a bare analysis); no empty charts.
  EXPECT_EQ(count(*html, "class=\"chart\""), 1u);
  EXPECT_EQ(count(*html, "data-kind=\"latency\""), 1u);
  EXPECT_NE(html->find("Bars: median to p95"), std::string::npos);
  for (const char* absent : {"data-kind=\"accuracy\"", "data-kind=\"breakdown\"", "id=\"planner\"",
                             "class=\"recommendation", "id=\"accuracy\""}) {
    EXPECT_EQ(html->find(absent), std::string::npos) << absent;
  }
  // A planner passed separately adds its heatmap; one without cells adds nothing.
  const json planner = testing::synthetic_planner("TinyNet");
  auto with_planner = render_html_report(bare, &planner);
  ASSERT_TRUE(with_planner.ok());
  EXPECT_EQ(count(*with_planner, "data-kind=\"planner\""), 1u);
  const json empty_planner = {
      {"heatmaps", json::array({{{"model", "TinyNet"}, {"cells", json::array()}}})}};
  auto without_cells = render_html_report(bare, &empty_planner);
  ASSERT_TRUE(without_cells.ok());
  EXPECT_EQ(without_cells->find("id=\"planner\""), std::string::npos);
}

TEST(HtmlReport, RejectsDocumentsWithoutAnalysis) {
  auto empty = render_html_report(json::object());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("scenarios"), std::string::npos);
  auto none = render_html_report(json{{"analysis", {{"scenarios", json::array()}}}});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no scenarios"), std::string::npos);
  // A wrongly typed field is reported, not thrown.
  auto bad =
      render_html_report(json{{"scenarios", json::array({{{"model", "M"}, {"scenario", 3}}})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("report JSON"), std::string::npos);
}

}  // namespace
}  // namespace edgetier
