// C interface to dlib's HOG frontal face detector and 68-point shape predictor.
// Bridge only: every C++ exception is caught in the shim and returned as a message.
#ifndef EMOPIPE_DLIB_SHIM_H
#define EMOPIPE_DLIB_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A face box in pixels of the image it was found in, with dlib's detection score.
typedef struct {
    double left, top, right, bottom;
    double score;
} DlibFaceBox;

typedef struct DlibDetector DlibDetector;
typedef struct DlibShapePredictor DlibShapePredictor;

/// Creates dlib's frontal face detector (deserialises its embedded model: ~0.5 s).
/// Returns NULL and fills `error` on failure.
DlibDetector *dlib_detector_create(char *error, size_t errorCapacity);
/// An independent copy (cheap); a detector must not be used by two threads at once.
DlibDetector *dlib_detector_copy(const DlibDetector *detector);
void dlib_detector_free(DlibDetector *detector);

/// Detects faces in an 8-bit gray image (rows `stride` bytes apart). The image is resampled by
/// `scale` (bilinear) before the search when scale != 1; boxes come back in input pixels, best
/// score first. Returns the number of boxes found (at most `capacity` are written) or -1 on error.
int dlib_detect(DlibDetector *detector, const uint8_t *gray, int width, int height, int stride,
                double scale, double threshold, DlibFaceBox *boxes, int capacity,
                char *error, size_t errorCapacity);

/// Loads a shape predictor file (e.g. shape_predictor_68_face_landmarks.dat).
DlibShapePredictor *dlib_predictor_load(const char *path, char *error, size_t errorCapacity);
void dlib_predictor_free(DlibShapePredictor *predictor);
/// Number of points the predictor places (68 for the iBUG model).
int dlib_predictor_parts(const DlibShapePredictor *predictor);
/// Places the predictor's points inside `box`, writing x0, y0, x1, y1, ... into `points`
/// (2 * parts floats). Safe to call from several threads at once. Returns 0, or -1 on error.
int dlib_predict(const DlibShapePredictor *predictor, const uint8_t *gray, int width, int height,
                 int stride, DlibFaceBox box, float *points, char *error, size_t errorCapacity);

#ifdef __cplusplus
}
#endif

#endif
