/// `edgetier data synth ...`: writes procedural datasets (images + labels.csv or masks/).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "experiment/synth.h"

namespace edgetier::cli {
namespace {

struct SynthArgs {
  std::string task = "classify";
  SynthOptions options;
  std::string out;
  bool force = false;
  bool json = false;
};

int run_synth(const SynthArgs& args) {
  auto task = parse_task(args.task);
  if (!task.ok()) return report_error(task.status().with_context("data synth"));
  SynthOptions options = args.options;
  options.task = *task;
  auto summary = write_synth_dataset(options, args.out, args.force);
  if (!summary.ok()) return report_error(summary.status());
  if (args.json) {
    print_json(synth_summary_to_json(*summary));
    return 0;
  }
  std::printf("wrote %lld %s images (%dx%d, seed %llu) to %s in %.0f ms (%.1f MB)\n",
              static_cast<long long>(summary->count), std::string(task_name(summary->task)).c_str(),
              summary->size, summary->size, static_cast<unsigned long long>(summary->seed),
              summary->dir.c_str(), summary->elapsed_ms, summary->bytes_written / 1e6);
  std::printf("images per label:");
  for (int c = 0; c < kSynthNumClasses; ++c) {
    std::printf(" %s=%lld", std::string(synth_class_names()[c]).c_str(),
                static_cast<long long>(summary->images_per_label[c]));
  }
  std::printf("\n");
  return 0;
}

}  // namespace

std::function<int()> setup_data(CLI::App* app) {
  app->require_subcommand(1);
  auto args = std::make_shared<SynthArgs>();
  CLI::App* synth = app->add_subcommand(
      "synth",
      "Generate a procedural shapes dataset (textured backgrounds, 1-3 of 10 shape classes)");
  synth->add_option("--task", args->task,
                    "classify (labels.csv), segment (masks/) or detect (instances.json)")
      ->check(CLI::IsMember({"classify", "segment", "detect"}))
      ->capture_default_str();
  synth->add_option("-n,--count", args->options.count, "Number of images")->capture_default_str();
  synth->add_option("--size", args->options.size, "Image height and width in pixels")
      ->capture_default_str();
  synth->add_option("--seed", args->options.seed, "Random seed (same seed -> identical files)")
      ->capture_default_str();
  synth->add_option("-o,--out", args->out, "Output folder (written atomically)")->required();
  synth->add_option("--min-objects", args->options.min_objects, "Fewest shapes per image")
      ->capture_default_str();
  synth->add_option("--max-objects", args->options.max_objects, "Most shapes per image")
      ->capture_default_str();
  synth->add_option("--noise", args->options.noise_std, "Largest pixel-noise std (grey levels)")
      ->capture_default_str();
  synth
      ->add_option("--min-area-ratio", args->options.min_area_ratio,
                   "Largest object's visible area over the runner-up's, at least")
      ->capture_default_str();
  synth->add_flag("--force", args->force, "Replace an existing dataset folder");
  synth->add_flag("--json", args->json, "Print the summary as JSON");
  return [args, synth]() {
    if (synth->parsed()) return run_synth(*args);
    return report_error(invalid_argument("data: expected a subcommand: synth"));
  };
}

}  // namespace edgetier::cli
