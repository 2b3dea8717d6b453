#include "kira/stats/meta_analysis.h"
