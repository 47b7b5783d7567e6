/// The analysis view of a results database: a stored run (read by store/reader.h) as the
/// ResultSet every analysis reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/result_set.h"
#include "core/status.h"
#include "store/reader.h"

namespace edgetier {

/// The analysis view of a stored run: every ok request with a breakdown whose components do not
/// overlap (the store's columns without "_ns": "client", "mobile_queue", "mobile_preprocess",
/// "mobile_compute", "mobile_serialize", "mobile_postprocess" (only on a tier that decoded
/// detections), ... "mobile_edge_transfer", plus "other" = end-to-end
/// minus all of them; the tiers' forward_ns is left out because it spans the next link and the
/// tiers above), byte counts under their column names ("mobile_edge_bytes_up"), failed requests
/// counted, accuracy rows, and every strategy without a complete measurement as a
/// MissingStrategy. StoredRun keeps every field of every row.
Result<ResultSet> to_result_set(const StoredRun& run);

/// read_results_database then to_result_set.
Result<ResultSet> load_results_database(const std::string& path,
                                        const ResultsDbOptions& options = {});

}  // namespace edgetier
