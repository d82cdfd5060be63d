#ifndef EMOPIPE_CFFTW_SHIM_H
#define EMOPIPE_CFFTW_SHIM_H
#include <fftw3.h>
#endif
