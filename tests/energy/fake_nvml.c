/* A fake NVML (libnvidia-ml) for the energy tests, loaded through EDEN_NVML_LIBRARY. It
 * implements only the functions EDEN resolves; tests steer it through the fake_nvml_* functions
 * (dlsym them from the same library path), and child processes through FAKE_NVML_* variables. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_MAX_DEVICES 8

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;
typedef struct {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_t;

enum {
  kSuccess = 0,
  kUninitialized = 1,
  kInvalidArgument = 2,
  kNotSupported = 3,
  kInsufficientSize = 7,
  kDriverNotLoaded = 9,
  kGpuIsLost = 15,
};

struct nvmlDevice_st {
  int counter_supported;
  int power_supported;
  unsigned long long energy_mj;
  unsigned power_mw;
  nvmlReturn_t read_error; /* returned by energy and power reads when non-zero */
};

/* Tests change the state while EDEN's sampler thread reads it. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCKED(statement)          \
  do {                             \
    pthread_mutex_lock(&g_lock);   \
    statement;                     \
    pthread_mutex_unlock(&g_lock); \
  } while (0)

static struct nvmlDevice_st g_devices[FAKE_MAX_DEVICES];
static unsigned g_device_count;
static nvmlReturn_t g_init_error;
static int g_init_count; /* nvmlInit_v2 minus nvmlShutdown */

static int env_int(const char* name, int fallback) {
  const char* value = getenv(name);
  return value != NULL && *value != '\0' ? atoi(value) : fallback;
}

/* Test control ---------------------------------------------------------------------------- */

/* Defaults: FAKE_NVML_DEVICE_COUNT (1), FAKE_NVML_COUNTER (1), FAKE_NVML_POWER_MW (100000),
 * FAKE_NVML_INIT_ERROR (0). */
void fake_nvml_reset(void) {
  unsigned i;
  memset(g_devices, 0, sizeof g_devices);
  g_device_count = (unsigned)env_int("FAKE_NVML_DEVICE_COUNT", 1);
  if (g_device_count > FAKE_MAX_DEVICES) g_device_count = FAKE_MAX_DEVICES;
  g_init_error = env_int("FAKE_NVML_INIT_ERROR", 0);
  for (i = 0; i < FAKE_MAX_DEVICES; ++i) {
    g_devices[i].counter_supported = env_int("FAKE_NVML_COUNTER", 1);
    g_devices[i].power_supported = 1;
    g_devices[i].energy_mj = 1000000ULL * (i + 1);
    g_devices[i].power_mw = (unsigned)env_int("FAKE_NVML_POWER_MW", 100000);
  }
}

__attribute__((constructor)) static void fake_nvml_load(void) {
  fake_nvml_reset();
}

void fake_nvml_set_device_count(unsigned count) {
  LOCKED(g_device_count = count > FAKE_MAX_DEVICES ? FAKE_MAX_DEVICES : count);
}
void fake_nvml_set_init_error(int code) {
  LOCKED(g_init_error = code);
}
void fake_nvml_set_counter_supported(unsigned device, int supported) {
  LOCKED(g_devices[device].counter_supported = supported);
}
void fake_nvml_set_power_supported(unsigned device, int supported) {
  LOCKED(g_devices[device].power_supported = supported);
}
void fake_nvml_set_energy_mj(unsigned device, unsigned long long energy_mj) {
  LOCKED(g_devices[device].energy_mj = energy_mj);
}
void fake_nvml_set_power_mw(unsigned device, unsigned power_mw) {
  LOCKED(g_devices[device].power_mw = power_mw);
}
void fake_nvml_set_read_error(unsigned device, int code) {
  LOCKED(g_devices[device].read_error = code);
}
int fake_nvml_init_count(void) {
  int count;
  LOCKED(count = g_init_count);
  return count;
}

/* NVML ------------------------------------------------------------------------------------ */

static int valid(nvmlDevice_t device) {
  return device >= g_devices && device < g_devices + g_device_count;
}

nvmlReturn_t nvmlInit_v2(void) {
  if (g_init_error != 0) return g_init_error;
  ++g_init_count;
  return kSuccess;
}

nvmlReturn_t nvmlShutdown(void) {
  if (g_init_count == 0) return kUninitialized;
  --g_init_count;
  return kSuccess;
}

const char* nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
    case kSuccess:
      return "Success";
    case kUninitialized:
      return "Uninitialized";
    case kInvalidArgument:
      return "Invalid Argument";
    case kNotSupported:
      return "Not Supported";
    case kInsufficientSize:
      return "Insufficient Size";
    case kDriverNotLoaded:
      return "Driver Not Loaded";
    case kGpuIsLost:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned length) {
  if (length < 16) return kInsufficientSize;
  snprintf(version, length, "550.54.15-fake");
  return kSuccess;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned* count) {
  if (g_init_count == 0) return kUninitialized;
  *count = g_device_count;
  return kSuccess;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index, nvmlDevice_t* device) {
  if (g_init_count == 0) return kUninitialized;
  if (index >= g_device_count) return kInvalidArgument;
  *device = &g_devices[index];
  return kSuccess;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned length) {
  if (!valid(device)) return kInvalidArgument;
  snprintf(name, length, "Fake GPU %d", (int)(device - g_devices));
  return kSuccess;
}

/* UUIDs are deliberately not in index order: GPU-fake-<9 - index>-... */
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned length) {
  if (!valid(device)) return kInvalidArgument;
  snprintf(uuid, length, "GPU-fake-%d-0000-0000-000000000000", 9 - (int)(device - g_devices));
  return kSuccess;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  if (!valid(device)) return kInvalidArgument;
  memory->total = 16ULL << 30;
  memory->used = 1ULL << 30;
  memory->free = memory->total - memory->used;
  return kSuccess;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned* limit_mw) {
  if (!valid(device)) return kInvalidArgument;
  *limit_mw = 250000;
  return kSuccess;
}

nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t device, unsigned* limit_mw) {
  if (!valid(device)) return kInvalidArgument;
  *limit_mw = 300000;
  return kSuccess;
}

static nvmlReturn_t read_energy(nvmlDevice_t device, unsigned long long* mj) {
  if (!valid(device)) return kInvalidArgument;
  if (device->read_error != 0) return device->read_error;
  if (!device->counter_supported) return kNotSupported;
  *mj = device->energy_mj;
  return kSuccess;
}

static nvmlReturn_t read_power(nvmlDevice_t device, unsigned* power_mw) {
  if (!valid(device)) return kInvalidArgument;
  if (device->read_error != 0) return device->read_error;
  if (!device->power_supported) return kNotSupported;
  *power_mw = device->power_mw;
  return kSuccess;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long* mj) {
  nvmlReturn_t result;
  LOCKED(result = read_energy(device, mj));
  return result;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned* power_mw) {
  nvmlReturn_t result;
  LOCKED(result = read_power(device, power_mw));
  return result;
}
