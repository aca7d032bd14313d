// Scan -> decode/validate every candidate in parallel -> decide classes and the split from the
// files that decoded -> reorder the decoded rows in place (train first, then eval) so both
// splits are views of one contiguous tensor and no second copy of the pixels is ever made.
#include "eden/data/image_folder.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "eden/data/decoded_cache.h"
#include "eden/data/image_preprocess.h"
#include "eden/util/check.h"
#include "eden/util/interrupt.h"
#include "eden/util/parallel.h"
#include "eden/util/progress_bar.h"
#include "eden/util/system.h"
#include "eden/util/units.h"

namespace eden::data {
namespace fs = std::filesystem;
namespace {

enum class Split { kTrain, kEval, kUnsplit };

struct Candidate {
  fs::path path;
  std::string cls;
  Split split;
};

bool hidden(const fs::path& p) {
  return p.filename().string().rfind('.', 0) == 0;
}

// Sorted non-hidden sub-folders of `dir`; files directly in `dir` are reported as skipped.
std::vector<fs::path> class_folders(const fs::path& dir, std::vector<SkippedFile>& skipped) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (hidden(e.path())) continue;
    if (e.is_directory()) {
      out.push_back(e.path());
    } else {
      skipped.push_back({e.path().string(), "not inside a class folder"});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every non-hidden regular file under `folder`, sorted; unreadable sub-folders are skipped.
std::vector<fs::path> files_under(const fs::path& folder, std::vector<SkippedFile>& skipped) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(folder, fs::directory_options::follow_directory_symlink, ec);
  if (ec) {
    skipped.push_back({folder.string(), "cannot list folder: " + ec.message()});
    return out;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      skipped.push_back({it->path().string(), "cannot list: " + ec.message()});
      ec.clear();
      continue;
    }
    if (hidden(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    // Regular files, and links whose target is gone: a real "cannot open" case to report.
    if (it->is_regular_file() || (it->is_symlink() && !fs::exists(it->path()))) {
      out.push_back(it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool read_whole_file(const fs::path& p, std::vector<uint8_t>& out, std::string& error) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  // One read of the stat'ed size; loop on in case the file grew or the read came short.
  std::error_code ec;
  const auto expected = fs::file_size(p, ec);
  out.resize(ec ? size_t{1} << 16 : static_cast<size_t>(expected) + 1);
  size_t used = 0;
  while (true) {
    used += std::fread(out.data() + used, 1, out.size() - used, f);
    if (used < out.size() || std::ferror(f) != 0) break;
    out.resize(out.size() * 2);
  }
  const bool ok = std::ferror(f) == 0;
  if (!ok) error = std::string("read error: ") + std::strerror(errno);
  std::fclose(f);
  out.resize(used);
  return ok;
}

// SplitMix64: a fixed, portable generator (std::shuffle's algorithm is unspecified).
uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

template <typename T>
void seeded_shuffle(std::vector<T>& v, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[splitmix(state) % i]);
}

// Moves row perm[k] to row k for every k (a full permutation), one spare row of memory.
void permute_rows_in_place(uint8_t* data, int64_t row_bytes, const std::vector<int64_t>& perm) {
  std::vector<uint8_t> spare(static_cast<size_t>(row_bytes));
  std::vector<bool> done(perm.size(), false);
  for (size_t start = 0; start < perm.size(); ++start) {
    if (done[start] || perm[start] == static_cast<int64_t>(start)) {
      done[start] = true;
      continue;
    }
    std::memcpy(spare.data(), data + start * row_bytes, row_bytes);
    size_t k = start;
    while (true) {
      done[k] = true;
      const auto src = static_cast<size_t>(perm[k]);
      if (src == start) {
        std::memcpy(data + k * row_bytes, spare.data(), row_bytes);
        break;
      }
      std::memcpy(data + k * row_bytes, data + src * row_bytes, row_bytes);
      k = src;
    }
  }
}

// Classes and the train/eval rows (candidate indices) from the files that decoded (`failure`
// empty). A pure function of its inputs: run on the candidates before decoding, it gives the row
// order the pre-load writes in; run after, the same order unless files failed.
struct SplitPlan {
  std::vector<std::string> classes;
  std::vector<int64_t> train_rows, eval_rows, train_labels, eval_labels;
  std::vector<SkippedFile> skipped;
};

SplitPlan plan_splits(const std::vector<Candidate>& cands, const std::vector<std::string>& failure,
                      bool folder_split, const fs::path& train_root, const ImageFolderOptions& o) {
  SplitPlan plan;
  const auto n = static_cast<int64_t>(cands.size());
  std::map<std::string, std::vector<int64_t>> train_of, eval_of;  // class -> candidate rows
  for (int64_t i = 0; i < n; ++i) {
    if (!failure[i].empty()) continue;
    (cands[i].split == Split::kEval ? eval_of : train_of)[cands[i].cls].push_back(i);
  }
  std::set<std::string> scanned;  // class folders that had candidate files
  for (const auto& c : cands) {
    if (c.split != Split::kEval) scanned.insert(c.cls);
  }
  for (const auto& cls : scanned) {
    if (train_of.count(cls) == 0) {
      plan.skipped.push_back({(train_root / cls).string(), "no usable image in the class folder"});
    }
  }
  for (auto& [cls, rows] : train_of) {
    const bool enough = folder_split || rows.size() >= 2;
    if (!enough) {
      const auto folder = (train_root / cls).string();
      plan.skipped.push_back({folder,
                              "class has only 1 usable image; a class needs 2 (one to "
                              "train, one to validate)"});
      for (int64_t i : rows)
        plan.skipped.push_back({cands[i].path.string(), "its class was left out"});
      continue;
    }
    plan.classes.push_back(cls);
  }
  const std::set<std::string> kept(plan.classes.begin(), plan.classes.end());
  for (const auto& [cls, rows] : eval_of) {
    if (kept.count(cls) != 0) continue;
    for (int64_t i : rows) {
      plan.skipped.push_back(
          {cands[i].path.string(), "class '" + cls + "' has no training images"});
    }
  }
  for (size_t label = 0; label < plan.classes.size(); ++label) {
    std::vector<int64_t> tr = train_of[plan.classes[label]];
    std::vector<int64_t> ev = folder_split ? eval_of[plan.classes[label]] : std::vector<int64_t>{};
    if (!folder_split && o.val_split > 0.0) {
      // Stratified: the same fraction of every class, at least one each side.
      seeded_shuffle(tr, o.seed * 1000003ULL + label);
      const auto m = static_cast<int64_t>(tr.size());
      const int64_t n_eval =
          std::clamp<int64_t>(std::llround(o.val_split * static_cast<double>(m)), 1, m - 1);
      ev.assign(tr.end() - n_eval, tr.end());
      tr.resize(static_cast<size_t>(m - n_eval));
      std::sort(tr.begin(), tr.end());
      std::sort(ev.begin(), ev.end());
    }
    plan.train_rows.insert(plan.train_rows.end(), tr.begin(), tr.end());
    plan.train_labels.insert(plan.train_labels.end(), tr.size(), static_cast<int64_t>(label));
    plan.eval_rows.insert(plan.eval_rows.end(), ev.begin(), ev.end());
    plan.eval_labels.insert(plan.eval_labels.end(), ev.size(), static_cast<int64_t>(label));
  }
  return plan;
}

const char* split_dir_names[] = {"val", "validation", "test"};

std::string folder_name(const fs::path& dir) {
  return dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
}

// `dir` as every scanned path begins, ending in '/': what cached paths are relative to.
std::string path_prefix(const fs::path& dir) {
  std::string p = dir.string();
  if (p.empty() || p.back() != '/') p += '/';
  return p;
}

std::string relative_to(const std::string& path, const std::string& prefix) {
  return path.compare(0, prefix.size(), prefix) == 0 ? path.substr(prefix.size()) : path;
}

// Everything that decides which pixels land in which split: the candidates (path, class,
// split, size, mtime in ns), what the scan skipped, the split settings, the image size.
DecodedCacheKey cache_key(const fs::path& dir, const std::vector<Candidate>& cands,
                          const std::vector<SkippedFile>& scan_skipped, bool folder_split,
                          const ImageFolderOptions& o) {
  DecodedCacheKey key(folder_name(dir), o.image_size);
  const std::string prefix = path_prefix(dir);
  key.add("split_mode", folder_split ? "folders" : "val-split");
  if (!folder_split) {
    key.add("val_split", fmt::format("{:.17g}", o.val_split));
    key.add("split_seed", std::to_string(o.seed));
  }
  key.add("limit_per_class", std::to_string(o.limit_per_class));
  for (const auto& f : scan_skipped)
    key.add("scan_skipped", relative_to(f.path, prefix) + "|" + f.reason);
  for (const auto& c : cands) {
    struct stat st {};
    const bool ok = ::stat(c.path.c_str(), &st) == 0;  // follows links, as the read does
    key.add_file(
        relative_to(c.path.string(), prefix), c.cls, static_cast<int>(c.split),
        ok ? static_cast<int64_t>(st.st_size) : -1,
        ok ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec : -1);
  }
  return key;
}

void check_strict(const LoadReport& report, const fs::path& dir, const ImageFolderOptions& o) {
  if (!o.strict || report.skipped.empty()) return;
  std::string list;
  for (size_t i = 0; i < std::min<size_t>(report.skipped.size(), 5); ++i) {
    list += "\n  " + report.skipped[i].path + ": " + report.skipped[i].reason;
  }
  EDEN_CHECK(false, "--strict: ", report.skipped.size(), " file(s) or folder(s) of ", dir,
             " would be skipped:", list, report.skipped.size() > 5 ? "\n  ..." : "");
}

torch::Tensor long_tensor(const std::vector<int64_t>& v) {
  return torch::tensor(v, torch::kLong);
}

void finish(DataSplits& out, const fs::path& dir, LoadReport report,
            std::chrono::steady_clock::time_point t0) {
  report.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.report = std::move(report);
  out.train.validate(dir.string() + " (train)");
  out.test.validate(dir.string() + " (eval)");
}

// A cache hit as the loader's result: the mapped pixels are the data set's, no copy.
DataSplits from_cache(const fs::path& dir, const ImageFolderOptions& o, DecodedFolder hit,
                      LoadReport report, std::chrono::steady_clock::time_point t0) {
  const std::string prefix = path_prefix(dir);
  report.skipped.clear();
  for (auto& f : hit.skipped) report.skipped.push_back({prefix + f.path, std::move(f.reason)});
  check_strict(report, dir, o);  // strict is not in the key: the same skips, the same error
  report.split = hit.split;
  report.files_seen = hit.files_seen;
  report.cache = "hit";
  torch::Tensor pixels = hit.pixels;
  if (o.pinned) {
    try {
      pixels = pixels.pin_memory();  // page-locked memory is allocated as such: this one copies
    } catch (const c10::Error&) {
      // pageable, as a failed page-locked allocation is in the decoding path
    }
  }
  const auto n_train = static_cast<int64_t>(hit.train_labels.size());
  const auto n_eval = static_cast<int64_t>(hit.eval_labels.size());
  DataSplits out;
  out.name = folder_name(dir);
  out.train.classes = hit.classes;
  out.test.classes = hit.classes;
  out.train.labels = long_tensor(hit.train_labels);
  out.test.labels = long_tensor(hit.eval_labels);
  out.train.images = pixels.narrow(0, 0, n_train);
  out.test.images = pixels.narrow(0, n_train, n_eval);
  report.images_loaded = n_train + n_eval;
  report.ram_bytes = pixels.numel();
  finish(out, dir, std::move(report), t0);
  return out;
}

}  // namespace

int64_t parse_memory_size(const std::string& text) {
  if (text == "auto" || text.empty()) return 0;
  size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double scale = 0.0;
  if (unit.empty()) scale = 1.0;
  if (unit == "K" || unit == "k") scale = 1024.0;
  if (unit == "M" || unit == "m") scale = 1024.0 * 1024;
  if (unit == "G" || unit == "g") scale = 1024.0 * 1024 * 1024;
  if (unit == "T" || unit == "t") scale = 1024.0 * 1024 * 1024 * 1024;
  EDEN_CHECK(used > 0 && scale > 0 && value > 0 && std::isfinite(value), "--memory-budget: '", text,
             "' is not a size; expected auto, or a number with K, M, G or T (e.g. 48G)");
  return static_cast<int64_t>(value * scale);
}

int64_t default_memory_budget() {
  const int64_t avail = available_memory_bytes();
  return avail > 0 ? avail / 10 * 6 : int64_t{8} << 30;
}

bool is_image_folder(const fs::path& dir) {
  if (!fs::is_directory(dir)) return false;
  for (const char* marker :
       {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "data_batch_1.bin", "train.bin"}) {
    if (fs::exists(dir / marker)) return false;
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && !hidden(e.path())) return true;
  }
  return false;
}

DataSplits load_image_folder(const fs::path& dir, const ImageFolderOptions& o) {
  EDEN_CHECK(fs::is_directory(dir), "--data: ", dir, " is not a folder");
  EDEN_CHECK(o.image_size >= 8 && o.image_size <= 4096, "--image-size: ", o.image_size,
             " is out of range [8, 4096]");
  EDEN_CHECK(o.val_split >= 0.0 && o.val_split < 1.0, "--val-split: ", o.val_split,
             " is out of range [0, 1)");
  EDEN_CHECK(o.limit_per_class >= 0, "--limit-per-class must be >= 0, got ", o.limit_per_class);
  const auto t0 = std::chrono::steady_clock::now();
  LoadReport report;
  report.format = "image-folder";

  // ---- scan -------------------------------------------------------------------------------
  fs::path train_root = dir, eval_root;
  if (fs::is_directory(dir / "train")) {
    for (const char* name : split_dir_names) {
      if (fs::is_directory(dir / name)) {
        eval_root = dir / name;
        break;
      }
    }
  }
  const bool folder_split = !eval_root.empty();
  if (folder_split) train_root = dir / "train";
  std::vector<Candidate> cands;
  int64_t encoded_bytes = 0;
  auto scan = [&](const fs::path& root, Split split) {
    for (const auto& folder : class_folders(root, report.skipped)) {
      auto files = files_under(folder, report.skipped);
      const std::string cls = folder.filename().string();
      if (files.empty()) {
        report.skipped.push_back({folder.string(), "empty class folder"});
        continue;
      }
      if (o.limit_per_class > 0 && static_cast<int64_t>(files.size()) > o.limit_per_class) {
        files.resize(static_cast<size_t>(o.limit_per_class));
      }
      for (auto& f : files) {
        std::error_code ec;
        const auto sz = fs::file_size(f, ec);
        if (!ec) encoded_bytes += static_cast<int64_t>(sz);
        cands.push_back({std::move(f), cls, split});
      }
    }
  };
  if (folder_split) {
    scan(train_root, Split::kTrain);
    scan(eval_root, Split::kEval);
    report.split =
        "folders " + train_root.filename().string() + "/" + eval_root.filename().string();
  } else {
    scan(dir, Split::kUnsplit);
    report.split = fmt::format("val-split {}", o.val_split);
  }
  const auto n = static_cast<int64_t>(cands.size());
  report.files_seen = n;
  EDEN_CHECK(n > 0, "--data: ", dir,
             " has no files in class folders; expected DIR/<class>/<image> ",
             "or DIR/train/<class>/<image> with DIR/val/<class>/<image>");

  // ---- memory plan ------------------------------------------------------------------------
  const int64_t s = o.image_size;
  const int64_t row_bytes = 3 * s * s;
  const int64_t decoded_bytes = n * row_bytes;
  const int64_t budget =
      o.memory_budget_bytes > 0 ? o.memory_budget_bytes : default_memory_budget();
  const bool encoded_mode = decoded_bytes > budget;
  EDEN_CHECK(!encoded_mode || encoded_bytes <= budget, "--data: ", dir, ": ", n, " files need ",
             bytes_text(decoded_bytes), " decoded and ", bytes_text(encoded_bytes),
             " encoded, over the memory budget of ", bytes_text(budget),
             "; hint: --limit-per-class N, a smaller --image-size, or a larger --memory-budget");
  report.mode = encoded_mode ? "encoded" : "decoded";
  report.threads = o.threads > 0 ? o.threads : usable_cpu_count();

  // ---- the decoded cache --------------------------------------------------------------------
  std::optional<DecodedCacheKey> key;
  const std::vector<SkippedFile> scan_skipped = report.skipped;
  fs::path cache_file;
  std::string bad_entry;  // why an entry at the key's path was not used ("" = there was none)
  if (!o.cache_dir.empty() && encoded_mode) {
    report.cache = "not-used";
    report.cache_reason = "the decoded images exceed the memory budget, so files stay encoded";
  } else if (!o.cache_dir.empty()) {
    key = cache_key(dir, cands, scan_skipped, folder_split, o);
    cache_file = o.cache_dir / key->file_name();
    report.cache_path = cache_file.string();
    if (auto hit = load_decoded_cache(cache_file, *key, report.threads, bad_entry)) {
      return from_cache(dir, o, std::move(*hit), std::move(report), t0);
    }
  }

  torch::Tensor pixels;  // (n, 3, S, S) uint8 in decoded mode
  auto encoded = std::make_shared<EncodedImages>();
  encoded->size = s;
  encoded->threads = report.threads;
  if (encoded_mode) {
    encoded->files.resize(static_cast<size_t>(n));
  } else {
    auto opts = torch::TensorOptions().dtype(torch::kUInt8);
    try {
      pixels = torch::empty({n, 3, s, s}, opts.pinned_memory(o.pinned));
    } catch (const c10::Error&) {
      EDEN_CHECK(o.pinned, "--data: cannot allocate ", bytes_text(decoded_bytes), " for ", n,
                 " images");
      pixels = torch::empty({n, 3, s, s}, opts);  // page-locking that much failed: pageable
    }
  }

  // ---- decode every candidate once, in parallel -------------------------------------------
  // Each file goes to the row the split would give it if every file decodes, so the common case
  // needs no reordering afterwards.
  std::vector<std::string> failure(static_cast<size_t>(n));
  std::vector<char> unread(static_cast<size_t>(n), 0);  // failed to read, not to decode
  std::vector<int64_t> row_of(static_cast<size_t>(n), -1);
  if (!encoded_mode) {
    const auto ideal = plan_splits(cands, failure, folder_split, train_root, o);
    int64_t next = 0;
    for (const auto* rows : {&ideal.train_rows, &ideal.eval_rows}) {
      for (int64_t i : *rows) row_of[i] = next++;
    }
    for (auto& r : row_of) {
      if (r < 0) r = next++;  // not in the ideal split (one-image classes, orphan eval files)
    }
  }
  {
    ProgressBar bar(fmt::format("loading {} ({} mode)", dir.filename().string(), report.mode), n,
                    o.progress && stderr_is_terminal());
    uint8_t* base = encoded_mode ? nullptr : pixels.data_ptr<uint8_t>();
    parallel_for(n, report.threads, [&](int64_t i) {
      if (interrupt_requested() != 0) return;  // stopping: skip the rest, checked below
      const auto& c = cands[static_cast<size_t>(i)];
      thread_local std::vector<uint8_t> reused;  // decoded mode: the file buffer is per thread
      std::vector<uint8_t> owned;                // encoded mode: the bytes are kept
      std::vector<uint8_t>& bytes = encoded_mode ? owned : reused;
      std::string error;
      try {
        if (!read_whole_file(c.path, bytes, error)) {
          failure[i] = error;
          unread[i] = 1;
        } else if (sniff_image_format(bytes.data(), bytes.size()) == ImageFormat::kUnknown) {
          failure[i] = bytes.empty() ? "empty file" : "not an image (neither JPEG nor PNG)";
        } else {
          thread_local std::vector<uint8_t> scratch;  // encoded mode: validation output
          uint8_t* out = base != nullptr ? base + row_of[i] * row_bytes : nullptr;
          if (out == nullptr) {
            scratch.resize(static_cast<size_t>(row_bytes));
            out = scratch.data();
          }
          decode_to_square(bytes.data(), bytes.size(), static_cast<int>(s), out);
          if (encoded_mode) {
            bytes.shrink_to_fit();  // read_whole_file over-allocates by one byte
            encoded->files[static_cast<size_t>(i)] = std::move(bytes);
          }
        }
      } catch (const std::bad_alloc&) {
        failure[i] = "out of memory while decoding";
        unread[i] = 1;
      } catch (const std::exception& e) {
        failure[i] = e.what();
      }
      bar.advance();
    });
  }
  if (const int sig = interrupt_requested(); sig != 0) {
    throw Interrupted(sig, fmt::format("{} while loading {}: nothing was trained or written yet",
                                       signal_name(sig), dir.string()));
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!failure[i].empty()) report.skipped.push_back({cands[i].path.string(), failure[i]});
  }

  // ---- classes and splits from the files that decoded --------------------------------------
  SplitPlan plan = plan_splits(cands, failure, folder_split, train_root, o);
  report.skipped.insert(report.skipped.end(), plan.skipped.begin(), plan.skipped.end());
  const auto& classes = plan.classes;
  const auto& train_rows = plan.train_rows;
  const auto& eval_rows = plan.eval_rows;
  std::sort(report.skipped.begin(), report.skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });

  check_strict(report, dir, o);
  EDEN_CHECK(!train_rows.empty(), "--data: ", dir, ": none of ", n,
             " files is a readable JPEG or PNG in a usable class folder (first: ",
             report.skipped.empty()
                 ? "?"
                 : report.skipped.front().path + ": " + report.skipped.front().reason,
             ")");
  EDEN_CHECK(classes.size() >= 2, "--data: ", dir, " has ", classes.size(),
             " usable class folder(s) (", classes.empty() ? "" : classes.front(),
             "); a classifier needs at least 2");
  EDEN_CHECK(!eval_rows.empty(), "--data: ", dir, " gives no evaluation images; hint: ",
             folder_split ? "put images under " + eval_root.string() : "--val-split > 0");

  // ---- assemble ------------------------------------------------------------------------------
  DataSplits out;
  out.name = folder_name(dir);
  const auto as_tensor = long_tensor;
  const auto n_train = static_cast<int64_t>(train_rows.size());
  const auto n_eval = static_cast<int64_t>(eval_rows.size());
  out.train.classes = classes;
  out.test.classes = classes;
  out.train.labels = as_tensor(plan.train_labels);
  out.test.labels = as_tensor(plan.eval_labels);
  if (encoded_mode) {
    std::vector<bool> used(static_cast<size_t>(n), false);
    for (int64_t i : train_rows) used[i] = true;
    for (int64_t i : eval_rows) used[i] = true;
    for (int64_t i = 0; i < n; ++i) {
      if (!used[i]) std::vector<uint8_t>().swap(encoded->files[i]);  // free skipped bytes
    }
    out.train.encoded = encoded;
    out.test.encoded = encoded;
    out.train.encoded_ids = as_tensor(train_rows);
    out.test.encoded_ids = as_tensor(eval_rows);
    report.ram_bytes = encoded->bytes();
  } else {
    // Rows in final order: train, eval, then the unused ones (dropped by narrowing). The
    // identity unless files failed.
    std::vector<int64_t> perm;
    std::vector<bool> used(static_cast<size_t>(n), false);
    for (const auto* rows : {&train_rows, &eval_rows}) {
      for (int64_t i : *rows) {
        perm.push_back(row_of[i]);
        used[row_of[i]] = true;
      }
    }
    for (int64_t r = 0; r < n; ++r) {
      if (!used[r]) perm.push_back(r);
    }
    permute_rows_in_place(pixels.data_ptr<uint8_t>(), row_bytes, perm);
    out.train.images = pixels.narrow(0, 0, n_train);
    out.test.images = pixels.narrow(0, n_train, n_eval);
    report.ram_bytes = n * row_bytes;  // skipped rows stay allocated at the end
  }
  report.images_loaded = n_train + n_eval;
  if (key) {
    // Files that could not be read may read next time: a load missing them is not kept.
    const auto unread_files = std::count(unread.begin(), unread.end(), 1);
    report.cache = "not-written";
    if (unread_files > 0) {
      report.cache_reason =
          fmt::format("{} file(s) could not be read; a later load may read them", unread_files);
    } else if (!o.cache_store) {
      report.cache_reason = "left to the rank that stores it";
    } else if (cache_key(dir, cands, scan_skipped, folder_split, o).hex() != key->hex()) {
      // Stat'ed again: pixels of a file that changed while it was read must not be stored
      // under the key of its state before.
      report.cache_reason = "a file changed while the folder was loading";
    } else {
      try {
        DecodedFolder entry;
        entry.pixels = pixels.narrow(0, 0, n_train + n_eval);  // the used rows, contiguous
        entry.train_labels = plan.train_labels;
        entry.eval_labels = plan.eval_labels;
        entry.classes = classes;
        const std::string prefix = path_prefix(dir);
        for (const auto& f : report.skipped)
          entry.skipped.push_back({relative_to(f.path, prefix), f.reason});
        entry.split = report.split;
        entry.files_seen = report.files_seen;
        store_decoded_cache(cache_file, *key, entry, report.threads);
        report.cache = bad_entry.empty() ? "written" : "rebuilt";
        report.cache_reason = bad_entry;
      } catch (const std::exception& e) {
        // A full disk or an unwritable folder costs the next run a decode, never this run.
        report.cache_reason = e.what();
        if (!bad_entry.empty()) report.cache_reason += "; the entry there is bad: " + bad_entry;
      }
    }
  }
  finish(out, dir, std::move(report), t0);
  return out;
}

}  // namespace eden::data
