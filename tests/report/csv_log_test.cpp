// CsvLog: rows appended under one header; a log begun with fewer columns (a run resumed by a
// newer EDEN) gains the new ones with its old rows kept; unknown columns are refused.
#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "eden/report/csv_log.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

using eden::report::CsvLog;

class CsvLogTest : public eden::testing::TempDirTest {};

TEST_F(CsvLogTest, AnOlderLogGainsTheNewColumnsAndKeepsItsRows) {
  const auto path = dir_ / "log.csv";
  CsvLog(path).append({{"epoch", "0"}, {"eval_top1", "0.5"}});
  CsvLog log(path);
  log.append({{"epoch", "1"}, {"phase", "full"}, {"eval_top1", "0.6"}, {"note", "a,b"}});
  log.append({{"epoch", "2"}, {"phase", "full"}, {"eval_top1", "0.7"}, {"note", ""}});
  EXPECT_EQ(eden::read_file(path),
            "epoch,phase,eval_top1,note\n0,,0.5,\n1,full,0.6,\"a,b\"\n2,full,0.7,\n");
  CsvLog::truncate_after(path, "epoch", 1);
  EXPECT_EQ(eden::read_file(path), "epoch,phase,eval_top1,note\n0,,0.5,\n1,full,0.6,\"a,b\"\n");
}

TEST_F(CsvLogTest, ALogWithColumnsThisVersionDoesNotWriteIsRefused) {
  const auto path = dir_ / "log.csv";
  CsvLog(path).append({{"epoch", "0"}, {"retired", "x"}});
  try {
    CsvLog(path).append({{"epoch", "1"}, {"eval_top1", "0.6"}});
    FAIL() << "accepted";
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("columns this EDEN does not write"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(eden::read_file(path), "epoch,retired\n0,x\n");
}
