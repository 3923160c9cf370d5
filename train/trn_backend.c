/*
 * trn_backend.c - the compute backends this build has. The CPU reference
 * (trn_layers.c, trn_model.c, trn_optim.c) is always present. The CUDA
 * backend (trn_cuda*.cu, built when nvcc is found) is a plugin,
 * kiln-train-cuda.so in ../lib/kiln beside the executable, loaded only when
 * a run asks for it: linking cuBLAS into every kiln-train cost 120 ms and
 * 220 MB of start-up on machines that only train on the CPU. The plugin
 * resolves the library's functions from the executable (linked -rdynamic).
 */
#include "train_internal.h"

#ifdef KILN_TRAIN_CUDA
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#endif

static const trn_backend_ops cpu_ops = {
	"cpu", trn_model_forward, trn_model_backward, trn_optim_step, NULL
};

#ifdef KILN_TRAIN_CUDA
static void *plugin;
static int plugin_tried;
static char plugin_error[512];

/* dlopen once; a failure is remembered (and its reason kept). */
static void *cuda_plugin(void)
{
	if (plugin_tried)
		return plugin;
	plugin_tried = 1;
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		snprintf(plugin_error, sizeof plugin_error, "cannot find the executable's folder");
		return NULL;
	}
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof path, "%s/../lib/kiln/kiln-train-cuda.so", exe);
	plugin = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!plugin)
		snprintf(plugin_error, sizeof plugin_error, "%s", dlerror());
	return plugin;
}
#endif

const trn_backend_ops *trn_backend_get(int backend)
{
	if (backend == TRN_BACKEND_CPU)
		return &cpu_ops;
#ifdef KILN_TRAIN_CUDA
	if (backend == TRN_BACKEND_CUDA && cuda_plugin())
		return (const trn_backend_ops *)dlsym(plugin, "trn_cuda_ops");
#endif
	return NULL;
}

int trn_backend_available(int backend)
{
	return trn_backend_get(backend) != NULL;
}

const char *trn_backend_error(int backend)
{
#ifdef KILN_TRAIN_CUDA
	if (backend == TRN_BACKEND_CUDA && !cuda_plugin())
		return plugin_error;
#endif
	return backend == TRN_BACKEND_CUDA ? "this kiln-train was built without CUDA (nvcc not found)" : "";
}

#ifdef KILN_TRAIN_CUDA
int trn_cuda_grads_to_host(trn_model *m, trn_error *err)
{
	int (*fn)(trn_model *, trn_error *) = NULL;
	if (cuda_plugin())
		*(void **)&fn = dlsym(plugin, "trn_cuda_plugin_grads_to_host");
	if (!fn)
		return trn_seterr(err, TRN_ENOTBUILT, "the CUDA plugin is not loaded: %s", plugin_error);
	return fn(m, err);
}
#endif
