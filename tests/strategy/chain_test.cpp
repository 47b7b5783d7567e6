/// Tests for strategy/chain: names round-trip, the one parser's rules, build order, displays.
#include "strategy/chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetier {
namespace {

using ::testing::HasSubstr;

std::string error_of(std::string_view text, ChainSpelling spelling = ChainSpelling::kAny) {
  auto chain = parse_op_chain(text, spelling);
  return chain.ok() ? "" : chain.status().message();
}

TEST(Chain, EveryNameRoundTrips) {
  for (const char* name : {"I", "Q", "EE", "QE", "P", "QP", "EEP", "QEP", "DEE@0.8", "QDEE@0.5",
                           "DEEP@0.9", "QDEEP@1", "DEE@0"}) {
    for (ChainSpelling spelling : {ChainSpelling::kAny, ChainSpelling::kCanonical}) {
      auto chain = parse_op_chain(name, spelling);
      ASSERT_TRUE(chain.ok()) << name << ": " << chain.status().to_string();
      EXPECT_EQ(chain->name(), name);
      EXPECT_EQ(*parse_op_chain(chain->name()), *chain);
    }
  }
  for (const OpChain& c : standard_op_chains()) EXPECT_EQ(*parse_op_chain(c.name()), c);
}

TEST(Chain, StandardChainsAreTheStudysInDisplayOrder) {
  std::vector<std::string> names;
  for (const auto& c : standard_op_chains()) names.push_back(c.name());
  EXPECT_EQ(names, (std::vector<std::string>{"I", "Q", "EE", "QE", "P", "QP", "EEP", "QEP"}));
  for (size_t i = 0; i < standard_op_chains().size(); ++i)
    EXPECT_EQ(standard_op_chains()[i].rank(), static_cast<int>(i));
  EXPECT_EQ(parse_op_chain("DEE@0.8")->rank(), 8);
  EXPECT_EQ(op_chain_forms(), "I, Q, EE, QE, P, QP, EEP, QEP, DEE@p, QDEE@p, DEEP@p, QDEEP@p");
  EXPECT_EQ(identity_chain_name(), "I");
}

TEST(Chain, AnySpellingTakesCaseAndAliases) {
  EXPECT_EQ(parse_op_chain("qeep")->name(), "QEP");
  EXPECT_EQ(parse_op_chain("QEE")->name(), "QE");
  EXPECT_EQ(parse_op_chain("dee@0.75")->name(), "DEE@0.75");
  EXPECT_DOUBLE_EQ(parse_op_chain("QDEEP@0.25")->exit_threshold, 0.25);
}

TEST(Chain, CanonicalSpellingRefusesCaseAndAliasesNamingTheCanonicalForm) {
  const std::string lower = error_of("qep", ChainSpelling::kCanonical);
  EXPECT_THAT(lower, HasSubstr("'qep'"));
  EXPECT_THAT(lower, HasSubstr("did you mean 'QEP'?"));
  const std::string alias = error_of("QEEP", ChainSpelling::kCanonical);
  EXPECT_THAT(alias, HasSubstr("'QEEP' is written 'QEP'"));
  EXPECT_THAT(error_of("DEE@0.50", ChainSpelling::kCanonical), HasSubstr("is written 'DEE@0.5'"));
}

TEST(Chain, RejectionsNameTheTextAndSuggest) {
  EXPECT_THAT(error_of("QEPX"), HasSubstr("operator chain 'QEPX': unknown operator chain"));
  EXPECT_THAT(error_of("QEPX"), HasSubstr("did you mean 'QEP'?"));
  EXPECT_THAT(error_of("E"), HasSubstr("unknown operator chain"));
  EXPECT_THAT(error_of("EEDEE@0.5"), HasSubstr("unknown operator chain"));
  EXPECT_THAT(error_of("PQ"), HasSubstr("unknown operator chain"));
  EXPECT_THAT(error_of(""), HasSubstr("unknown operator chain"));
  EXPECT_THAT(error_of("DEE"), HasSubstr("needs a confidence threshold"));
  EXPECT_THAT(error_of("DEE"), HasSubstr("did you mean 'DEE@0.8'?"));
  // The threshold range is [0, 1]: 0 always leaves at the early head (the static skip).
  EXPECT_THAT(error_of("DEE@1.5"), HasSubstr("threshold '1.5' must be a number in (0, 1]"));
  EXPECT_THAT(error_of("DEE@-0.1"), HasSubstr("must be a number"));
  EXPECT_THAT(error_of("DEE@x"), HasSubstr("operator chain 'DEE@x'"));
  EXPECT_THAT(error_of("DEEP@"), HasSubstr("needs a confidence threshold"));
  EXPECT_THAT(error_of("QE@0.5"), HasSubstr("only dynamic exits (DEE) take an @threshold"));
  EXPECT_THAT(error_of("I@0.5"), HasSubstr("identity takes no threshold"));
  EXPECT_TRUE(parse_op_chain("DEE@0").ok());
  EXPECT_TRUE(parse_op_chain("DEE@1").ok());
}

std::vector<std::string> steps_of(const char* name, bool exit_then_quantize) {
  std::vector<std::string> out;
  for (OperatorId op : parse_op_chain(name)->steps(exit_then_quantize))
    out.emplace_back(step_name(op));
  return out;
}

TEST(Chain, StepsAreTheBuildOrder) {
  using V = std::vector<std::string>;
  EXPECT_EQ(steps_of("I", false), V{});
  EXPECT_EQ(steps_of("QEP", false), (V{"Q", "EE", "P"}));
  EXPECT_EQ(steps_of("QEP", true), (V{"EE", "Q", "P"}));
  EXPECT_EQ(steps_of("EEP", true), (V{"EE", "P"}));
  EXPECT_EQ(steps_of("QP", true), (V{"Q", "P"}));
  // A dynamic exit runs after quantize either way and its split is the partition.
  EXPECT_EQ(steps_of("QDEEP@0.8", false), (V{"Q", "DEE"}));
  EXPECT_EQ(steps_of("QDEEP@0.8", true), (V{"Q", "DEE"}));
  EXPECT_EQ(parse_op_chain("QE")->step_names(false), (V{"quantize", "early_exit"}));
}

TEST(Chain, DisplayComplexityInheritanceAndColour) {
  EXPECT_EQ(parse_op_chain("I")->display_name(), "Identity");
  EXPECT_EQ(parse_op_chain("Q")->display_name(), "Quantization");
  EXPECT_EQ(parse_op_chain("QP")->display_name(), "Quantized Partitioning");
  EXPECT_EQ(parse_op_chain("QEP")->display_name(), "Quantized Early Exit Partitioning");
  EXPECT_EQ(parse_op_chain("DEEP@0.8")->display_name(),
            "Dynamic Early Exit Partitioning (threshold 0.8)");
  EXPECT_EQ(parse_op_chain("I")->complexity(), 0);
  EXPECT_EQ(parse_op_chain("QEP")->complexity(), 3);
  EXPECT_EQ(parse_op_chain("DEEP@0.8")->complexity(), 2);
  EXPECT_EQ(parse_op_chain("P")->unpartitioned()->name(), "I");
  EXPECT_EQ(parse_op_chain("QEP")->unpartitioned()->name(), "QE");
  EXPECT_EQ(parse_op_chain("DEEP@0.8")->unpartitioned()->name(), "DEE@0.8");
  EXPECT_FALSE(parse_op_chain("QE")->unpartitioned().has_value());
  // The report's colours (Vega's tableau10), one per standard chain; threshold sweeps get extras.
  std::vector<std::string> colours;
  for (const auto& c : standard_op_chains()) colours.push_back(c.colour());
  EXPECT_EQ(colours, (std::vector<std::string>{"#4c78a8", "#f58518", "#54a24b", "#e45756",
                                               "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6"}));
  EXPECT_EQ(parse_op_chain("DEE@0.8")->colour(), "");
}

}  // namespace
}  // namespace edgetier
