# The fuzz targets and the libraries each needs: fv_fuzzer(NAME LIBS ...) for fuzz/NAME.cpp. Read by
# fuzz/CMakeLists.txt (libFuzzer, clang, sanitizers) and by tests/CMakeLists.txt (the same sources built by the
# ordinary compiler with a replay driver, so that the test suite compiles every target and replays its
# recorded regressions); each defines fv_fuzzer its own way.
fv_fuzzer(fuzz_pickle_bin LIBS fv_dataset)
fv_fuzzer(fuzz_state_dict_pickle LIBS fv_import_formats)
fv_fuzzer(fuzz_tfjs_manifest LIBS fv_import_formats)
fv_fuzzer(fuzz_recordio LIBS fv_formats)
fv_fuzzer(fuzz_recordio_index LIBS fv_formats)
fv_fuzzer(fuzz_recordio_source LIBS fv_dataset)
fv_fuzzer(fuzz_pairs LIBS fv_protocol)
fv_fuzzer(fuzz_ytf_splits LIBS fv_eval)
fv_fuzzer(fuzz_ijb LIBS fv_eval)
fv_fuzzer(fuzz_ijba LIBS fv_eval)
fv_fuzzer(fuzz_options LIBS fv_eval)
