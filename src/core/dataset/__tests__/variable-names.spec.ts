import { isLocoHubFeature, parseVariableName, suggestStandardName } from '../variable-names';

describe('parseVariableName', () => {
  it.each([
    ['knee_flexion_angle_ipsi_rad', { body: 'knee', family: 'joint', motion: 'flexion', measurement: 'angle', side: 'ipsi', unit: 'rad' }],
    [
      'hip_flexion_velocity_contra_rad_s',
      { body: 'hip', family: 'joint', motion: 'flexion', measurement: 'velocity', side: 'contra', unit: 'rad_s' }
    ],
    [
      'ankle_dorsiflexion_moment_ipsi_Nm_kg',
      { body: 'ankle', family: 'joint', motion: 'dorsiflexion', measurement: 'moment', side: 'ipsi', unit: 'Nm_kg' }
    ],
    ['pelvis_sagittal_angle_rad', { body: 'pelvis', family: 'segment', motion: 'sagittal', measurement: 'angle', side: null, unit: 'rad' }],
    [
      'thigh_sagittal_angle_contra_rad',
      { body: 'thigh', family: 'segment', motion: 'sagittal', measurement: 'angle', side: 'contra', unit: 'rad' }
    ],
    ['grf_vertical_ipsi_BW', { body: 'grf', family: 'force', motion: 'vertical', measurement: 'force', side: 'ipsi', unit: 'BW' }],
    ['cop_anterior_contra_m', { body: 'cop', family: 'pressure', motion: 'anterior', measurement: 'position', side: 'contra', unit: 'm' }],
    [
      'knee_flexion_acceleration_ipsi_rad_s2',
      { body: 'knee', family: 'joint', motion: 'flexion', measurement: 'acceleration', side: 'ipsi', unit: 'rad_s2' }
    ]
  ])('parses %s', (name, parts) => {
    expect(parseVariableName(name)).toEqual({ ok: true, parts });
  });

  it.each([
    ['hip_angle_s_r', /unit suffix/],
    ['knee_flexion_angle_right_deg', /unknown side "right"/],
    ['vertical_grf_ipsi_BW', /unknown joint or segment "vertical"/],
    ['knee_flexion_angle_ipsi_rad_s', /unit rad_s does not fit a angle/],
    ['pelvis_sagittal_angle_ipsi_rad', /no side/],
    ['elbow_flexion_angle_ipsi_rad', /unknown joint or segment "elbow"/],
    ['Knee_flexion_angle_ipsi_rad', /lowercase/]
  ])('rejects %s', (name, reason) => {
    const parsed = parseVariableName(name);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(reason);
  });
});

describe('suggestStandardName', () => {
  it.each([
    ['hip_angle_s_r', 'hip_flexion_angle_ipsi_rad', true],
    ['ankle_angle_s_l', 'ankle_dorsiflexion_angle_contra_rad', true],
    ['knee_vel_s_r', 'knee_flexion_velocity_ipsi_rad_s', true],
    ['knee_flexion_angle_right_deg', 'knee_flexion_angle_ipsi_rad', true],
    ['ankle_flexion_angle_ipsi_rad', 'ankle_dorsiflexion_angle_ipsi_rad', false],
    ['vertical_grf_ipsi_BW', 'grf_vertical_ipsi_BW', false],
    ['hip_flexion_angular_velocity_ipsi_rad_s', 'hip_flexion_velocity_ipsi_rad_s', false],
    ['knee_flexion_moment_ipsi_Nm', 'knee_flexion_moment_ipsi_Nm_kg', true],
    ['phase_percent', 'phase_ipsi', false],
    ['step_number', 'step', false]
  ])('%s → %s', (legacy, standard, needsConversion) => {
    expect(suggestStandardName(legacy)).toEqual({ name: standard, needsConversion });
  });

  it('has no suggestion for names it cannot map', () => {
    expect(suggestStandardName('a')).toBeNull();
    expect(suggestStandardName('exo_torque_knee_ipsi_Nm')).toBeNull();
  });
});

describe('isLocoHubFeature', () => {
  it('follows LocoHub keyword detection and exclusions', () => {
    expect(isLocoHubFeature('knee_flexion_angle_ipsi_rad')).toBe(true);
    expect(isLocoHubFeature('grf_vertical_ipsi_BW')).toBe(true);
    expect(isLocoHubFeature('step')).toBe(false);
    expect(isLocoHubFeature('phase_ipsi')).toBe(false);
    expect(isLocoHubFeature('speed')).toBe(false);
  });
});
