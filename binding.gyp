{
  "targets": [
    {
      "target_name": "seal_native",
      "sources": [
        "src/native/addon.cpp",
        "src/native/cpu.cpp",
        "src/native/threadpool.cpp",
        "src/native/gemm.cpp",
        "src/native/attention.cpp",
        "src/native/ops.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fno-math-errno", "-fno-trapping-math", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
