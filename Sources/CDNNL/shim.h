#ifndef EMOPIPE_CDNNL_SHIM_H
#define EMOPIPE_CDNNL_SHIM_H
// oneDNN's C interface: Debian's libdnnl-dev 2.6 (scripts/install-deps.sh installs it), the CPU
// library under PyTorch and onnxruntime's DNNL provider.
#include <oneapi/dnnl/dnnl.h>
#endif
