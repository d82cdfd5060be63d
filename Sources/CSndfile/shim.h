#ifndef EMOPIPE_CSNDFILE_SHIM_H
#define EMOPIPE_CSNDFILE_SHIM_H
#include <sndfile.h>
#endif
