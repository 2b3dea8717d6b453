#include "kira/stats/effect_size.h"
