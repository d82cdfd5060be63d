// Bridge from the C interface in DlibShim.h to dlib. Nothing but the bridge lives here.
#include "DlibShim.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace emopipe_dlib {

// A read-only view of the caller's gray buffer in dlib's generic image interface (no copy).
// The free functions live in this namespace so dlib finds them by argument-dependent lookup.
struct GrayView {
    const uint8_t *data;
    long width, height, stride;
};
inline long num_rows(const GrayView &image) { return image.height; }
inline long num_columns(const GrayView &image) { return image.width; }
inline const void *image_data(const GrayView &image) { return image.data; }
inline void *image_data(GrayView &image) { return const_cast<uint8_t *>(image.data); }
inline long width_step(const GrayView &image) { return image.stride; }

void report(const char *message, char *error, size_t capacity) {
    if (error && capacity > 0) std::snprintf(error, capacity, "%s", message);
}

}  // namespace emopipe_dlib

namespace dlib {
template <> struct image_traits<emopipe_dlib::GrayView> { typedef unsigned char pixel_type; };
}  // namespace dlib

using emopipe_dlib::GrayView;
using emopipe_dlib::report;

struct DlibDetector { dlib::frontal_face_detector detector; };
struct DlibShapePredictor { dlib::shape_predictor predictor; };

extern "C" {

DlibDetector *dlib_detector_create(char *error, size_t errorCapacity) {
    try {
        return new DlibDetector{dlib::get_frontal_face_detector()};
    } catch (const std::exception &e) {
        report(e.what(), error, errorCapacity);
        return nullptr;
    }
}

DlibDetector *dlib_detector_copy(const DlibDetector *detector) {
    try {
        return new DlibDetector{detector->detector};
    } catch (...) {
        return nullptr;
    }
}

void dlib_detector_free(DlibDetector *detector) { delete detector; }

int dlib_detect(DlibDetector *detector, const uint8_t *gray, int width, int height, int stride,
                double scale, double threshold, DlibFaceBox *boxes, int capacity,
                char *error, size_t errorCapacity) {
    try {
        GrayView view{gray, width, height, stride};
        std::vector<dlib::rect_detection> found;
        if (scale == 1.0) {
            detector->detector(view, found, threshold);
        } else {
            dlib::array2d<unsigned char> resized(std::max(1L, std::lround(height * scale)),
                                                 std::max(1L, std::lround(width * scale)));
            dlib::resize_image(view, resized, dlib::interpolate_bilinear());
            detector->detector(resized, found, threshold);
        }
        std::sort(found.begin(), found.end(), [](const dlib::rect_detection &a, const dlib::rect_detection &b) {
            return a.detection_confidence > b.detection_confidence;
        });
        const int count = static_cast<int>(found.size());
        for (int i = 0; i < std::min(count, capacity); ++i) {
            const dlib::rectangle &r = found[i].rect;
            boxes[i] = DlibFaceBox{r.left() / scale, r.top() / scale, (r.right() + 1) / scale,
                                   (r.bottom() + 1) / scale, found[i].detection_confidence};
        }
        return count;
    } catch (const std::exception &e) {
        report(e.what(), error, errorCapacity);
        return -1;
    }
}

DlibShapePredictor *dlib_predictor_load(const char *path, char *error, size_t errorCapacity) {
    try {
        auto *shim = new DlibShapePredictor;
        try {
            dlib::deserialize(path) >> shim->predictor;
        } catch (...) {
            delete shim;
            throw;
        }
        return shim;
    } catch (const std::exception &e) {
        report(e.what(), error, errorCapacity);
        return nullptr;
    }
}

void dlib_predictor_free(DlibShapePredictor *predictor) { delete predictor; }

int dlib_predictor_parts(const DlibShapePredictor *predictor) {
    return static_cast<int>(predictor->predictor.num_parts());
}

int dlib_predict(const DlibShapePredictor *predictor, const uint8_t *gray, int width, int height,
                 int stride, DlibFaceBox box, float *points, char *error, size_t errorCapacity) {
    try {
        GrayView view{gray, width, height, stride};
        const dlib::rectangle rect(std::lround(box.left), std::lround(box.top),
                                   std::lround(box.right) - 1, std::lround(box.bottom) - 1);
        const dlib::full_object_detection shape = predictor->predictor(view, rect);
        for (unsigned long i = 0; i < shape.num_parts(); ++i) {
            points[2 * i] = static_cast<float>(shape.part(i).x());
            points[2 * i + 1] = static_cast<float>(shape.part(i).y());
        }
        return 0;
    } catch (const std::exception &e) {
        report(e.what(), error, errorCapacity);
        return -1;
    }
}

}  // extern "C"
