/// Agreement accumulator.
#include "metrics/agreement.h"

#include <string>

namespace edgetier {

void Agreement::add(int64_t pred, int64_t reference) {
  ++count_;
  ++images_;
  agree_ += pred == reference ? 1 : 0;
}

Status Agreement::add(const std::vector<int32_t>& pred, const std::vector<int32_t>& reference) {
  if (pred.size() != reference.size()) {
    return invalid_argument("prediction has " + std::to_string(pred.size()) +
                            " pixels, the reference " + std::to_string(reference.size()));
  }
  for (size_t i = 0; i < pred.size(); ++i) agree_ += pred[i] == reference[i] ? 1 : 0;
  count_ += static_cast<int64_t>(pred.size());
  ++images_;
  return ok_status();
}

MetricValue Agreement::value(Task task) const {
  return {std::string(primary_metric(task, MetricSource::kReference).id), rate(), images_};
}

}  // namespace edgetier
