#include "kira/units/units.h"
